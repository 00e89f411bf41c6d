// Seeded synthetic tensors for layer-table workloads. The generator is a SplitMix64 stream and every
// transformation is written out here (no std:: distributions, whose output is implementation-defined),
// so a seed gives the same tensors with any standard library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dlasim::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next_u64();
  double uniform_open();  // in (0, 1)
  double normal();        // N(0, 1), Box–Muller
  double gamma(double shape);  // Gamma(shape, 1), Marsaglia–Tsang
 private:
  uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// Stream seed for (run seed, layer index, tensor id): different tensors get independent streams.
uint64_t stream_seed(uint64_t seed, uint64_t layer, uint64_t tensor);

// n samples with unit variance where it exists: "normal"; "laplace" (b = 1/√2); "student_t" with `dof`
// degrees of freedom (heavy tailed; scaled by sqrt((dof-2)/dof) when dof > 2), all times `scale`.
// Throws std::invalid_argument on an unknown distribution name.
std::vector<float> sample(Rng& rng, const std::string& distribution, double dof, double scale, int64_t n);

// Replaces every row of `row_len` consecutive values of x by its softmax: exp(x_i − max) / Σ exp(x_j − max),
// computed in double; the rows become nonnegative and sum to 1 (up to fp32 rounding). Throws
// std::invalid_argument unless row_len >= 1 divides x.size().
void softmax_rows(std::vector<float>& x, int64_t row_len);

}  // namespace dlasim::sim
