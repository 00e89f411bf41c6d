// A neural network as dlasim imports it from ONNX (quant/onnx_import.hpp): a topologically ordered list of
// typed operations over named float tensors, batch 1, ONNX layouts (NCHW for images, [..., features] for
// sequences). Import normalizes the graph so that no later stage parses ONNX attributes:
//   - BatchNormalization that follows a Conv is folded into the Conv's weights and bias;
//   - Gemm (transA = 0) and MatMul with a constant B, together with a following Add of a constant [N] vector,
//     become one `linear` op with weights [N][K] (out × in) and bias [N];
//   - Constant nodes and initializers that are not absorbed become Model::constants;
//   - Dropout and Identity are removed (inference).
// The MAC ops (conv, linear, matmul) are what the DLA runs; every other op runs in fp32 on the PPU or the host
// (docs/models.md says which).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace dlasim::quant {

// A dense float tensor, row-major (C order). dims empty = a scalar with one element.
struct Tensor {
  std::vector<int64_t> dims;
  std::vector<float> data;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
  }
};

enum class OpKind {
  conv,                 // x [1][C][H][W] -> [1][K][OH][OW]; weights [K][C/groups][R][S], bias [K]
  linear,               // y[..., n] = Σ_k x[..., k] · weights[n][k] + bias[n]; weights [N][K], bias [N]
  matmul,               // two activations: [..., M, K] × [..., K, N] -> [..., M, N]; equal leading dims
  relu,                 // max(x, 0)
  clip,                 // min(max(x, min_value), max_value)
  max_pool,             // kernel, strides, pads (NCHW, 2-D)
  average_pool,         // kernel, strides, pads, count_include_pad
  global_average_pool,  // [1][C][H][W] -> [1][C][1][1]
  add, sub, mul, div,   // elementwise, numpy broadcasting; either input may be a constant
  erf, sqrt,            // elementwise
  flatten,              // axis: [d0..d(a-1)] and [da..] -> 2-D
  reshape,              // shape: the target dims (ONNX semantics: 0 copies the input dim, -1 is inferred)
  transpose,            // perm
  softmax,              // axis
  layer_norm,           // over the axes from `axis` to the last; weights = scale, bias = B; epsilon
  reduce_mean,          // axes, keepdims
};

// The ONNX op name of a kind ("Conv", "Gemm/MatMul" ...), for messages.
const char* op_kind_name(OpKind kind);
// True for conv, linear and matmul: the ops the DLA's MAC array runs.
inline bool is_mac(OpKind kind) { return kind == OpKind::conv || kind == OpKind::linear || kind == OpKind::matmul; }

struct Op {
  OpKind kind = OpKind::relu;
  std::string name;                 // the ONNX node name, or "<OpType>_<index>" when the node has none
  std::string onnx_op;              // the ONNX op type it came from (after folding: the producing op's)
  std::vector<std::string> inputs;  // value names: the graph input, an earlier op's output, or a constant
  std::string output;               // value name
  Tensor weights, bias;             // conv, linear (bias zeros when absent); layer_norm scale and bias
  std::vector<int64_t> kernel;      // conv: {R, S}; pools: kernel_shape
  std::vector<int64_t> strides{1, 1};
  std::vector<int64_t> pads{0, 0, 0, 0};   // {top, left, bottom, right}
  std::vector<int64_t> dilations{1, 1};
  std::vector<int64_t> perm;        // transpose
  std::vector<int64_t> shape;       // reshape target
  std::vector<int64_t> axes;        // reduce_mean
  int64_t groups = 1;
  int64_t axis = -1;                // softmax, flatten, layer_norm
  float epsilon = 1e-5f;            // layer_norm
  float min_value = -std::numeric_limits<float>::infinity();  // clip
  float max_value = std::numeric_limits<float>::infinity();   // clip
  bool keepdims = true;             // reduce_mean
  bool count_include_pad = false;   // average_pool
};

struct Model {
  std::string path;                       // the file it was read from (messages)
  std::string input;                      // graph input value name
  std::vector<int64_t> input_dims;        // batch dimension fixed to 1
  std::string output;                     // graph output value name
  std::vector<Op> ops;                    // topological order
  std::map<std::string, Tensor> constants;

  // Indices of the ops that read value `name`, in op order.
  std::vector<std::size_t> consumers(const std::string& name) const;
  // Index of the op that writes `name`; throws std::out_of_range for the graph input and constants.
  std::size_t producer(const std::string& name) const;
};

// Values computed by a float run, by name (the graph input included).
using Values = std::map<std::string, Tensor>;

// One op in fp32 on its inputs (in op.inputs order; constants already looked up): ONNX semantics.
// conv/linear/matmul accumulate in float in the (r, s, c) / k order. Throws std::invalid_argument naming the op
// when the inputs' shapes do not fit it.
Tensor run_op(const Op& op, const std::vector<const Tensor*>& inputs);

// The whole model in fp32 on one input (dims = Model::input_dims). When `values` is not null, every value
// computed (and the input) is stored there by name. Returns the graph output.
Tensor run_float(const Model& model, const Tensor& input, Values* values = nullptr);

}  // namespace dlasim::quant
