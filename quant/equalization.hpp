// Per-channel scale rules of cross-layer equalization (reference.md §5). Only the rules and the rescaling of
// float arrays live here; walking the graph (which layer feeds which, concat / residual handling) is the
// caller's job. Both rules rely on the activation between producer and consumer being positively
// homogeneous (ReLU, leaky ReLU, linear: f(s·x) = s·f(x) for s > 0), so the network function is unchanged.
//
// TWO CONVENTIONS — the scale s is applied in opposite directions:
//
//   DFQ (Nagel et al. 2019; PyTorch torch/ao/quantization/_equalize.py): the producer is DIVIDED by s.
//       W1[i,:] /= s_i,  b1[i] /= s_i,  W2[:,i] *= s_i          s_i = sqrt(r1_i / r2_i)
//     -> scale_output_channels(W1, ..., b1, s, /*multiply=*/false); scale_input_channels(W2, ..., s, /*multiply=*/true)
//     After it both ranges equal sqrt(r1_i · r2_i).
//
//   Meller et al. 2019 (official code icml2019/equalization, get_scale / equalize_layer): the producer is
//   MULTIPLIED by s.
//       W_l[c,:] *= s_c,  b_l[c] *= s_c,  W_{l+1}[:,c] /= s_c
//     -> scale_output_channels(W_l, ..., b_l, s, /*multiply=*/true); scale_input_channels(W_{l+1}, ..., s, /*multiply=*/false)
//
// Weight layouts. A producer is k output channels × per_channel contiguous elements (conv [K][C][R][S]:
// per_channel = C·R·S; linear [N][K]: per_channel = K). A consumer's input channels are addressed as
// [K][C/groups][spatial] (conv [K][C/g][R][S]: spatial = R·S; linear [N][K]: k = N, c_per_group = K,
// spatial = 1, groups = 1). With groups > 1 input channel i = g·(C/groups) + j is read by the output
// channels k of group g = [g·K/groups, (g+1)·K/groups) at slot j; depthwise is groups = C, c_per_group = 1.
#pragma once

#include <cstdint>
#include <vector>

namespace dlasim::quant {

// ---- ranges ---------------------------------------------------------------------------------------------

// r[c] = max |w[c, :]| of each of the k output channels of a producer (per_channel elements each).
std::vector<float> output_channel_ranges(const float* w, int64_t k, int64_t per_channel);

// r[i] = max |w| over every weight that reads input channel i of a consumer (layout above); C = c_per_group
// · groups entries. Throws if groups does not divide k.
std::vector<float> input_channel_ranges(const float* w, int64_t k, int64_t c_per_group, int64_t spatial,
                                        int64_t groups = 1);

// ---- DFQ ------------------------------------------------------------------------------------------------

// s_i = sqrt(r1_i / r2_i) (r1: producer output-channel ranges, r2: consumer input-channel ranges). A channel
// with r1_i = 0 or r2_i = 0 gets s_i = 1 (PyTorch instead adds 1e-9 to r2; it also measures ranges as
// max − min, where DFQ's paper and this code use max|w|). Throws if sizes differ, are empty, or a range is
// negative or not finite.
std::vector<float> dfq_scales(const std::vector<float>& r1, const std::vector<float>& r2);

// ---- Meller ---------------------------------------------------------------------------------------------

// Scale per output channel c of layer l, exactly as reference §5.2 (get_scale), producer MULTIPLIED by s:
//   m[c]           = 1 (one-step, successor_norm == nullptr) or (*successor_norm)[c] (two-step)
//   max_act        = max_c |act_max[c]| · m[c]
//   kernel_max     = max_c kernel_channel_max[c] · m[c]      (= max |kernel · m| with m broadcast over c)
//   post_act_scale = min(max_act / |act_max[c]|, max_activation_scale)
//   pre_act_scale  = max(max_act / |preact_min[c]|, 1)
//   kernel_scale   = kernel_max / kernel_channel_max[c]
//   s_c            = min(kernel_scale, post_act_scale, pre_act_scale)
// act_max: max post-activation output per channel; preact_min: min pre-activation value per channel;
// kernel_channel_max: max |W_l[c, ...]|. Division by zero: x / 0 = +inf for x > 0 (that bound is inactive;
// numpy gives the same), 0 / 0 = 1. An s_c that is not finite and > 0 (possible only when every channel
// with nonzero weights has m = 0) is set to 1 so the rescaling stays invertible. One-step scales are >= 1.
// The graph-level adjustments of §5.2 (concat alignment, ReLU6 floor 0.7, residual override) are not here.
// Throws if sizes differ or are empty, a value is not finite, kernel_channel_max or m is negative, or
// max_activation_scale is not finite and > 0.
std::vector<float> meller_scales(const std::vector<float>& act_max, const std::vector<float>& preact_min,
                                 const std::vector<float>& kernel_channel_max,
                                 const std::vector<float>* successor_norm = nullptr,
                                 float max_activation_scale = 16.0f);

// m[c] for two-step Meller: max over successors s of r_s[c] / max_c' r_s[c'], where r_s are the successor's
// input-channel ranges (input_channel_ranges of its weights). A successor whose weights are all zero
// contributes 0. Throws if the list is empty or the successors disagree on the channel count.
std::vector<float> meller_successor_norm(const std::vector<std::vector<float>>& successor_input_ranges);

// ---- applying scales ------------------------------------------------------------------------------------

// Row c of w (k × per_channel) and bias[c] (bias may be null) are multiplied (multiply = true) or divided
// by s[c]. Throws if s.size() != k or an s is not finite and > 0.
void scale_output_channels(float* w, int64_t k, int64_t per_channel, float* bias, const std::vector<float>& s,
                           bool multiply);

// Every weight reading input channel i (layout above) is multiplied (multiply = true) or divided by s[i];
// s.size() == c_per_group · groups.
void scale_input_channels(float* w, int64_t k, int64_t c_per_group, int64_t spatial, int64_t groups,
                          const std::vector<float>& s, bool multiply);

}  // namespace dlasim::quant
