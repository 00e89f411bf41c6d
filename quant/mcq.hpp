// MCQ — Monte Carlo quantization (Mordido, Van Keirsbilck, Keller 2019; reference.md §4.2, a reconstruction
// NOT verified against the paper body). Each normalization unit (see below) of n weights is turned into
// integer counts by stratified importance sampling of the PDF p_i = |w_i| / Σ_j |w_j|:
//
//   N      = max(1, round(K · n))                  samples per unit, K = McqOptions::sampling_amount
//   u_m    = (m + ξ_m) / N, m = 0..N-1             ξ_m ~ U[0,1) (jitter) or 0.5 (stratum midpoints)
//   i(u_m) = first i (in CDF order) with P_i > u_m, P_i = Σ_{t ≤ i} p_t     c_i = #{m : i(u_m) = i}
//   q_i    = sign(w_i) · c_i                       integer weight (c_i = 0: pruned)
//   ŵ_i    = q_i · scale,   scale = Σ_j |w_j| / N  one fp32 scale per unit
//
// Normalization unit. The paper's unit (layer or neuron) is unverified; here a unit is one ROW of the matrix
// the caller passes: w is `units` rows × n elements, row-major. For a weight matrix of K output channels
// × n elements, pass units = K for per-output-channel MCQ; for per-tensor MCQ pass units = 1 and
// n = K · n (a one-row view of the same memory).
//
// CDF order: index order by default; McqOptions::sort builds the CDF over |w| sorted descending (ties by
// lower index first). The samples are drawn by a linear merge of the sorted u_m with the CDF: O(n + N) per
// unit (plus O(n log n) for sort). Zero weights add nothing to the CDF and are never sampled.
//
// Properties (tested): Σ_i c_i = N per unit; E[c_i] = N·p_i over seeds (jitter); |c_i − N·p_i| < 2.
//
// Randomness: one std::mt19937_64 seeded with McqOptions::seed draws ξ for the units in order (unit 0's N
// strata first). ξ = (64-bit draw >> 11) · 2^-53, so it is uniform on [0, 1) and identical across standard
// libraries (std::uniform_real_distribution is not specified bit-exactly; it is not used).
#pragma once

#include <cstdint>
#include <vector>

#include "quant/qtensor.hpp"

namespace dlasim::quant {

struct McqOptions {
  double sampling_amount = 1.0;  // K: N = max(1, round(K · n)) samples per unit; finite and > 0
  bool jitter = true;            // stratified with a uniform jitter per stratum; false = stratum midpoints
  bool sort = false;             // CDF over |w| sorted descending (ties by index) instead of index order
  uint64_t seed = 1;             // seed of the std::mt19937_64 (jitter only)
};

struct McqResult {
  std::vector<int32_t> q;       // sign(w) · count, same layout as w (units × n)
  std::vector<float> scale;     // per unit: Σ|w| / N (0 for an all-zero unit); ŵ = q · scale
  int64_t samples_per_unit = 0; // N
  double sparsity = 0;          // fraction of q that is 0
  int max_abs_q = 0;            // max |q| over the whole tensor
  int bits = 0;                 // 1 + ceil(log2(max_abs_q + 1)): sign-magnitude width the tensor needs
  double mean_bits = 0;         // mean over units of each unit's own width (1 + ceil(log2(max|q_unit| + 1)))
};

// Throws std::invalid_argument (naming the parameter) if w is null, units < 1, n < 1, sampling_amount is
// not finite and > 0, N overflows, or w holds NaN / infinity.
McqResult mcq_quantize(const float* w, int64_t units, int64_t n, const McqOptions& options = {});

// ŵ = q · scale[unit], units × n floats. Throws if the result's sizes do not match units × n.
std::vector<float> mcq_dequantize(const McqResult& result, int64_t units, int64_t n);

// Sign-magnitude width of a count magnitude: 1 + ceil(log2(max_abs + 1)) (0 -> 1, 1 -> 2, 2..3 -> 3, ...).
int mcq_bits_for(int64_t max_abs);

// The MCQ result as a signed-integer per-channel QTensor the datapath consumes (layout in qtensor.hpp):
// spec = int_spec(bits, per_channel) with vector_size = code padding; each unit is one channel of
// rows_per_channel rows, so rows = units · rows_per_channel and cols = n / rows_per_channel (a unit of a
// conv weight [K][R][S][C] is n = R·S·C with rows_per_channel = R·S). Codes are q clipped to
// ±qmax = ±(2^(bits-1) − 1), sign-extended bytes, zero-padded to padded_cols; coarse scale of channel u =
// scale[u], so dequantize() gives q_clipped · scale. `clipped` (optional) receives the number of weights
// whose |q| exceeded qmax. Per-tensor MCQ (units = 1) gives a one-channel QTensor.
// Throws std::invalid_argument if bits is outside [2, 8], rows_per_channel < 1 or does not divide n,
// vector_size < 1, or the result's sizes do not match.
QTensor mcq_to_qtensor(const McqResult& result, int64_t units, int64_t n, int bits, int64_t rows_per_channel,
                       int vector_size, int64_t* clipped = nullptr);

}  // namespace dlasim::quant
