// How a MAC op of an imported model (quant/model.hpp: conv, linear, matmul) runs on the DLA: its hw::ConvShape
// and the layout changes between the model's tensors (ONNX layouts) and the DLA's operand matrices
// (hw/layer.hpp: input [H][W][C], weights [K][R][S][Cg], output [OH·OW][K]).
//   conv   : NCHW -> HWC. Equal strides only (the DLA has one stride). Symmetric pads map to ConvShape::pad;
//            asymmetric pads are applied by the host as explicit zeros (pad 0 on the DLA). Dilated kernels are
//            expanded with zero taps to ((R-1)·d+1) × ((S-1)·d+1): the DLA has no dilation, so the zero taps
//            cost MAC cycles like any other.
//   linear : x [..., K] -> M = Π leading dims rows: a 1×1 convolution over an M × 1 input, weights [N][K].
//   matmul : A [..., M, K] × B [..., K, N] with G = Π leading dims -> a grouped 1×1 convolution with G groups
//            (hw::LayerJob::weights_are_activations): input [M][G][K], weights [G·N][K] (B transposed per group),
//            output [M][G·N].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/layer.hpp"
#include "quant/model.hpp"

namespace dlasim::sim {

struct MacMapping {
  quant::OpKind kind = quant::OpKind::conv;
  hw::ConvShape shape;
  bool weights_are_activations = false;   // matmul: B is an activation
  std::vector<int64_t> host_pads{0, 0, 0, 0};  // conv: zeros the host adds {top, left, bottom, right}
  int64_t dilation_h = 1, dilation_w = 1;      // conv: the kernel expansion
  std::vector<int64_t> out_dims;          // the op's output in the model's layout
};

// The mapping of `op` for inputs of dims `a` (and `b` for matmul). Throws std::invalid_argument naming the op
// when the DLA cannot run it (unequal strides, shapes that do not fit the op).
MacMapping map_mac(const quant::Op& op, const std::vector<int64_t>& a, const std::vector<int64_t>& b = {});
// The same, with the input dims (and matmul's B dims) taken from `values` of a float run of the model.
MacMapping map_mac(const quant::Op& op, const quant::Values& values);

// Index in m.ops of the Relu that is the only reader of `op`'s output (which is not the graph output): the ReLU the
// PPU can apply with the layer. -1 when there is none.
int64_t fused_relu(const quant::Model& m, const quant::Op& op);

// The DLA input matrix [H][W][C] (shape.input_matrix()) of the op's first input.
std::vector<float> dla_input(const MacMapping& m, const quant::Tensor& a);
// The DLA weight matrix [K][R][S][Cg] (shape.weight_matrix()): conv/linear from op.weights, matmul from B.
std::vector<float> dla_weights(const quant::Op& op, const MacMapping& m, const quant::Tensor* b = nullptr);
// The op's output tensor (model layout) from the DLA output [OH·OW][K] (`channels` = K, the columns of y).
quant::Tensor model_output(const MacMapping& m, const float* y);

}  // namespace dlasim::sim
