// A layer as the DLA executes it: shape, quantized operands, PPU parameters, and its results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quant/qtensor.hpp"

namespace dlasim::hw {

// Convolution shape (a fully connected layer is a 1×1 convolution over a 1×1 input).
//
// Grouped convolution: in_c and out_c must both be divisible by `groups` (G). The channels split into G
// groups of Cg = in_c / G input and Kg = out_c / G output channels; output channel k belongs to group
// g = k / Kg and reads only the input channels [g·Cg, (g+1)·Cg). G = 1 is the ordinary convolution,
// G = in_c = out_c the depthwise one (Cg = Kg = 1).
//
// Layouts (row-major, quant/qtensor.hpp matrix view, reduction axis contiguous):
//   input   [H][W][C] = [H][W][G][Cg] -> matrix rows H·W·G (row (ih·W + iw)·G + g), cols Cg
//   weights [K][R][S][Cg]             -> matrix rows K·R·S (row (k·R + r)·S + s),    cols Cg
//   output  [OH][OW][K]               -> matrix rows OH·OW,                           cols K
// The input matrix holds the same floats in the same order as [H][W][C]; viewing it with cols = Cg makes
// every group slice of a pixel its own row, so per-vector scales are cut at the same positions in both
// operands (vectors restart at every group boundary) and the tensor keeps one per-tensor coarse scale.
// For G = 1 these are the plain [H][W][C] and [K][R][S][C] matrices.
// An aggregate: ConvShape{in_h, in_w, in_c, out_c, kernel_h, kernel_w, stride, pad, groups}.
struct ConvShape {
  int64_t in_h = 1, in_w = 1, in_c = 1;
  int64_t out_c = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride = 1, pad = 0;
  int64_t groups = 1;

  int64_t out_h() const { return (in_h + 2 * pad - kernel_h) / stride + 1; }
  int64_t out_w() const { return (in_w + 2 * pad - kernel_w) / stride + 1; }
  int64_t out_pixels() const { return out_h() * out_w(); }
  int64_t taps() const { return kernel_h * kernel_w; }
  int64_t group_in_c() const { return in_c / groups; }    // Cg: reduction length of one output channel
  int64_t group_out_c() const { return out_c / groups; }  // Kg: output channels per group
  int64_t group_of(int64_t k) const { return k / group_out_c(); }
  // Useful multiply-accumulates (padding and vector padding excluded).
  int64_t macs() const { return out_pixels() * out_c * taps() * group_in_c(); }

  // Matrix row of weight tap (r, s) of output channel k, and of input pixel (ih, iw) in group g.
  int64_t weight_row(int64_t k, int64_t r, int64_t s) const { return (k * kernel_h + r) * kernel_w + s; }
  int64_t input_row(int64_t ih, int64_t iw, int64_t g) const { return (ih * in_w + iw) * groups + g; }
  // Matrix views the operands are quantized with: weights one channel (coarse scale) per output channel,
  // input one channel for the whole tensor.
  quant::MatrixShape weight_matrix() const { return {out_c * taps(), group_in_c(), taps()}; }
  quant::MatrixShape input_matrix() const {
    const int64_t rows = in_h * in_w * groups;
    return {rows, group_in_c(), rows};
  }
};

// Throws std::invalid_argument naming the field unless every dimension is positive (pad ≥ 0), groups
// divides in_c and out_c, and the kernel fits the padded input.
void check_shape(const ConvShape& shape);

// Quantization of the layer's output, applied by the PPU. coarse_scale is s (per_tensor) or γ (per_vector),
// calibrated statically by the front-end.
struct OutputQuant {
  quant::QuantSpec spec;
  float coarse_scale = 0.0f;
};

struct LayerJob {
  std::string name;
  ConvShape shape;
  bool relu = false;
  const quant::QTensor* weights = nullptr;  // shape.weight_matrix(): one coarse scale per output channel
  const quant::QTensor* input = nullptr;    // shape.input_matrix(): one coarse scale per tensor
  const std::vector<float>* bias = nullptr; // K entries, fp32, added by the PPU
  OutputQuant output;
  // The weights operand is an activation tensor produced at run time (attention GEMMs: K of S = Q·Kᵀ, Vᵀ of
  // O = P·V). It arrives in the weight port's element and per-vector scale format with one coarse scale per
  // tensor (max-calibrated like an activation). The arithmetic does not change; traffic/energy models will
  // treat it as activation data.
  bool weights_are_activations = false;
};

// Throws std::invalid_argument naming the layer unless check_shape passes, the operands are present, and
// their matrix shapes are shape.weight_matrix() and shape.input_matrix() with the same vector size; when
// weights_are_activations, the weights must not have per-channel coarse scales.
void check_job(const LayerJob& job);

struct LayerResult {
  quant::QTensor output;             // rows OH·OW, cols K
  uint64_t cycles = 0;               // from the first wave issued to the last output written
  std::vector<uint64_t> counters;    // per-layer counter deltas, indexed like Counters::decls()
};

}  // namespace dlasim::hw
