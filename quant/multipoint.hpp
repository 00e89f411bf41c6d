// Multipoint quantization (Liu, Ye, Zhou, Liu, AAAI 2021; reference.md §6.2, assembled from secondary sources
// and NOT verified against the paper). A weight vector w (one output channel, n elements) is approximated by
// a sum of P low-bit vectors, each with its own fp32 scale:
//
//   w ≈ w̃ = Σ_t a_t · codes_t,   codes_t ∈ {−qmax..qmax}^n,   qmax = 2^(bits−1) − 1 (symmetric signed INT)
//
// In hardware each point is one more same-precision dot product (a "virtual output channel" with its own
// per-channel scale a_t), summed before the activation.
//
// Greedy fitting (multipoint_greedy): r_0 = w; for t = 1..P: a_t = argmin_a ||r − a·round_clip(r/a)||²,
// codes_t = round_clip(r_{t−1} / a_t), r_t = r_{t−1} − a_t·codes_t. round_clip rounds to nearest (ties to
// even) and clips to [−qmax, qmax].
//
// The 1-D search for a_t. The paper's γ-grid (step from the minimum gap of sorted |r|, bounded by η) is only
// known from a third-party transcription that is internally inconsistent (min vs max, η = 2^-10 vs 2^-9),
// so it is not used. Instead a_t is searched over kMultipointCandidates = 256 candidates
//   a = (max|r| / qmax) · f,   f = j / 256, j = 256, 255, ..., 1,
// i.e. every clipping level from "no clipping" (f = 1, the plain max-calibrated per-channel scale, exact)
// down to clipping at 1/256 of the range. Each candidate's error is evaluated exactly (O(n) per candidate);
// the smallest error wins, ties to the larger a (so when the max scale is optimal the point equals plain
// per-channel rounding). A residual that is all zero gets a = 0 and zero codes (the point adds nothing).
//
// Adaptive allocation (multipoint_quantize), per reference §6.2 with the unverified criterion made explicit:
//   1. every channel c gets one point; its output error is e_c = Σ_rows ((w_c − w̃_c) · x_row)² over the m
//      calibration rows of x ([m][n], each row one input patch the channels dot with).
//   2. for each channel below max_points its next greedy point and the error e'_c it would leave are known;
//      a channel is eligible if e_c − e'_c > min_gain.
//   3. the eligible channel with the largest CURRENT error e_c (ties: lower index) takes its next point;
//      repeat 2–3 until the extra points reach floor(budget · k) or no channel is eligible.
// Cost of the result: Σ_c (points_c − 1) / k extra MACs and weight storage relative to one point per channel.
#pragma once

#include <cstdint>
#include <vector>

namespace dlasim::quant {

inline constexpr int kMultipointCandidates = 256;

// One weight vector as P points: w̃ = Σ_t a[t] · codes[t][i]. a.size() == codes.size() == P.
struct MultipointVector {
  std::vector<float> a;                    // fp32 scale of each point (>= 0)
  std::vector<std::vector<int8_t>> codes;  // P vectors of n codes in [−qmax, qmax]
};

struct MultipointOptions {
  int bits = 4;         // element width of every point, [2, 8]
  int max_points = 4;   // points per channel at most, >= 1
  double budget = 0.25; // extra points allowed, as a fraction of output channels: floor(budget · k), >= 0
  double min_gain = 0.0;// a channel takes an extra point only if its output error drops by more than this
};

struct MultipointLayer {
  std::vector<MultipointVector> channels;  // k channels
  std::vector<int> points;                 // points per channel
  double mean_points = 0;                  // Σ points / k
  std::vector<double> output_error;        // final e_c per channel (see header comment)
};

// Greedy P-point fit of w[0..n-1]. Throws std::invalid_argument (naming the parameter) if w is null, n < 1,
// bits is outside [2, 8], points < 1, or w holds NaN / infinity.
MultipointVector multipoint_greedy(const float* w, int64_t n, int bits, int points);

// Appends the next greedy point to v, fitted to the residual w − dequantize(v). Same checks as above.
void multipoint_add_point(MultipointVector& v, const float* w, int64_t n, int bits);

// Adaptive multipoint quantization of a layer: w is k output channels × n elements (row-major), x is m
// calibration rows × n. Throws std::invalid_argument if w or x is null, k, n or m < 1, bits is outside
// [2, 8], max_points < 1, budget or min_gain is negative or not finite, or w / x hold NaN / infinity.
MultipointLayer multipoint_quantize(const float* w, int64_t k, int64_t n, const float* x, int64_t m,
                                    const MultipointOptions& options = {});

// w̃ of one vector (n floats, accumulated in fp32 over the points in order). Throws if a code vector's size
// is not n or a and codes differ in size.
std::vector<float> multipoint_dequantize(const MultipointVector& v, int64_t n);
// w̃ of a layer: k × n floats, row-major.
std::vector<float> multipoint_dequantize(const MultipointLayer& layer, int64_t n);

// e = Σ_rows ((w − w̃) · x_row)² of one channel (w, w̃ of n floats; x of m rows × n), in double.
double multipoint_output_error(const float* w, const float* w_tilde, int64_t n, const float* x, int64_t m);

}  // namespace dlasim::quant
