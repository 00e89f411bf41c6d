// Where the operands of each layer of `dlasim run` come from (docs/architecture.md, "Operands").
//
// Input of row i (non-attention rows; attention GEMMs keep their own Q/K/V/P generation, run.hpp):
//   chained    when row j (i-1 in a layer table; LayerSpec::input_row for an ONNX model) is not an
//              attention row and its output shape (out_h, out_w, out_c) equals row i's input shape
//              (in_h, in_w, in_c): row i's float input is row j's float output, so row i's SQNR includes the
//              upstream quantization error as in a real network. Each design's quantized input is then row
//              j's output codes exactly as that design's DLA writes them (the bit-exact reference of row j's
//              job), when their matrix shape and format equal row i's input_matrix() and activation format
//              (groups 1 and the same activation format); otherwise the float input is quantized again
//              (chained_float).
//   post_relu  else, when the input is a ReLU's output (a table: the previous row has relu = 1; ONNX:
//              LayerSpec::input_post_relu): seeded rectified samples x = max(0, t + b_c), t from
//              workload.act_dist at unit variance and one offset b_c ~ N(0, workload.bias_rel_std²) per input
//              channel c, so about half of the values are exactly zero (0.5 ± 0.05 for the defaults).
//   synthetic  else (the network input, a row after a relu = 0 row): signed seeded samples of act_dist.
// Weights: the ONNX model's initializers for conv and linear rows of an ONNX workload (model_weights), else
// seeded samples of workload.weight_dist with std 1/sqrt(fan_in), or He's sqrt(2/fan_in) when the input is
// post-ReLU (chained from a relu row or rectified samples), so the pre-activation std stays about 1 along a
// chain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/workload/layer_table.hpp"
#include "sim/workload/model_layers.hpp"

namespace dlasim::sim {

struct OperandOrigin {
  int64_t chained_from = -1;   // the row whose float output is this row's float input; -1: seeded
  bool post_relu = false;      // the input is a ReLU's output (non-negative), seeded or chained
  bool model_weights = false;  // weights and bias from the ONNX model
};

// The origins of every row of `layers`; `model` holds one entry per row for an ONNX workload (empty weights
// for matmul rows), or is empty for a layer table.
std::vector<OperandOrigin> operand_origins(const std::vector<LayerSpec>& layers,
                                           const std::vector<ModelOperands>& model);

// The label reports give a row: "chained", "chained_float" (float input chained, codes quantized again),
// "post_relu" or "synthetic", then "+model_weights" when the weights are the model's. `codes_chained`: the
// design's quantized input is the upstream output.
std::string operand_label(const OperandOrigin& o, bool codes_chained);

}  // namespace dlasim::sim
