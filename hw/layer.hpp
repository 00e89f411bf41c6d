// A layer as the DLA executes it: shape, quantized operands, PPU parameters, and its results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quant/qtensor.hpp"

namespace dlasim::hw {

// Convolution shape (a fully connected layer is a 1×1 convolution over a 1×1 input).
// Input layout [H][W][C], weights [K][R][S][C], output [OH][OW][K] (see quant/qtensor.hpp).
struct ConvShape {
  int64_t in_h = 1, in_w = 1, in_c = 1;
  int64_t out_c = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride = 1, pad = 0;

  int64_t out_h() const { return (in_h + 2 * pad - kernel_h) / stride + 1; }
  int64_t out_w() const { return (in_w + 2 * pad - kernel_w) / stride + 1; }
  int64_t out_pixels() const { return out_h() * out_w(); }
  int64_t taps() const { return kernel_h * kernel_w; }
  // Useful multiply-accumulates (padding and vector padding excluded).
  int64_t macs() const { return out_pixels() * out_c * taps() * in_c; }
};

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
  const quant::QTensor* weights = nullptr;  // rows K·R·S, cols C, one coarse scale per output channel
  const quant::QTensor* input = nullptr;    // rows H·W, cols C, one coarse scale per tensor
  const std::vector<float>* bias = nullptr; // K entries, fp32, added by the PPU
  OutputQuant output;
};

struct LayerResult {
  quant::QTensor output;             // rows OH·OW, cols K
  uint64_t cycles = 0;               // from the first wave issued to the last output written
  std::vector<uint64_t> counters;    // per-layer counter deltas, indexed like Counters::decls()
};

}  // namespace dlasim::hw
