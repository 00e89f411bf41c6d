// Equalization of an imported model (reference.md §5; docs/models.md): per-channel rescaling of producer/consumer
// pairs that leaves the float network's function unchanged.
//
// A pair is a conv or linear producer P whose output reaches exactly one conv or linear consumer C through at most
// one Relu and any of MaxPool, AveragePool, GlobalAveragePool, Flatten (positively homogeneous ops, each with one
// reader). Where the chain meets anything else — a residual Add, LayerNorm, GELU, Softmax, a second reader — P is
// not equalized: Meller et al.'s code skips layers with an element-wise add the same way. A Flatten in the chain
// maps C's input features [c·HW, (c+1)·HW) to P's channel c.
//   dfq             : s_i = sqrt(r1_i / r2_i) with r1 = max|W_P[i,...]|, r2 = max|W_C[:, i, ...]|; W_P[i] /= s_i,
//                     b_P[i] /= s_i, W_C[:, i] *= s_i; all pairs repeated until every s is within 1e-4 of 1
//                     (at most 100 sweeps), as PyTorch's _equalize.py.
//   meller_one_step : s_c from the calibration ranges (act_max, preact_min) and the kernel ranges, capped at 16;
//   meller_two_step : the same with the successor's normalized input-channel range m_c; one pass in graph order,
//                     W_P[c] *= s_c, b_P[c] *= s_c, W_C[:, c] /= s_c (quant/equalization.hpp).
#pragma once

#include <string>
#include <vector>

#include "quant/model.hpp"

namespace dlasim::sim {

struct EqualizationPair {
  std::size_t producer = 0, consumer = 0;  // op indices
  std::string pre_activation, post_activation;  // P's output and the value after the Relu (same without one)
  int64_t features_per_channel = 1;        // C's input features per P channel (a Flatten of H·W pixels)
};

// The pairs of `model` in graph order; `dims` are the value dims of one float run.
std::vector<EqualizationPair> equalization_pairs(const quant::Model& model, const quant::Values& dims);

// Rescales the model's weights in place by `rule` (dfq, meller_one_step or meller_two_step); Meller's rules take
// their ranges from a float run over `calib_inputs` (at most 64 of them, as the reference code).
// Returns the number of pairs equalized.
std::size_t equalize_model(quant::Model& model, const std::string& rule, const std::vector<quant::Tensor>& calib_inputs);

}  // namespace dlasim::sim
