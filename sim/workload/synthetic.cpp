#include "sim/workload/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dlasim::sim {

uint64_t Rng::next_u64() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Rng::uniform_open() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double r = std::sqrt(-2.0 * std::log(uniform_open()));
  const double theta = 2.0 * M_PI * uniform_open();
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

namespace {

// A sufficient condition, without logarithms, for the acceptance test of Rng::gamma,
//   log(u) < 0.5·x² + d - d·v + d·log(v)   evaluated in double with libm's log,
// where v = (1 + t)³ in double and t = c·x (Marsaglia–Tsang). It only ever answers "accepted" when the test
// above accepts too, so the samples are the same bits; otherwise the caller evaluates the test itself.
// Proof sketch. Let w = cbrt(v) and τ = w - 1 (reals). Taylor with Lagrange remainder gives
// ln(1+τ) ≥ τ - τ²/2 + τ³/3 - τ⁴/4 - [τ<0]·|τ|⁵/(5(1+τ)⁵), hence, exactly,
//   0.5x² + d - d·v + 3d·ln(w) ≥ (0.5x² - 4.5dτ²) - d·(0.75τ⁴ + [τ<0]·0.6(|τ|/(1+τ))⁵) =: D + lb.
// With c = 1/(3√d) the term D cancels to rounding noise: τ differs from c·x by a few ulps of max(|c·x|, w), so
// |D| ≤ 2⁻⁴⁷·(x² + d·(1 + v)). The double evaluation of the right-hand side differs from its exact value by
// under 2⁻⁴⁵·(0.5x² + d + d·v + d·|ln v|) (eight roundings and a log within a few ulps), and for |t| ≤ 0.5,
// |ln v| < 2.1. On the left, log(u) ≤ (1 - 2⁻⁵⁰)·ln(u) ≤ (1 - 2⁻⁵⁰)·(u - 1) ≤ (u - 1) + 2⁻⁵⁰ for a log within a
// few ulps; the rounding of u - 1, of lb and of τ ≈ t add less than 2⁻⁴⁸·d. The margin
// 2⁻⁴⁰·(0.5x² + d·(4.1 + v) + |lb| + 1) exceeds all of these together more than tenfold, so
// u - 1 < lb - margin implies the double test accepts. |t| ≤ 0.5 keeps every term bounded (v in [1/8, 27/8]).
// About 92% of the draws of Gamma(2) (Student-t, 4 degrees of freedom) skip both logarithms.
inline bool surely_accepted(double x, double t, double v, double u, double d) {
  if (!(std::fabs(t) <= 0.5)) return false;
  const double t2 = t * t;
  double poly = 0.75 * t2 * t2;
  if (t < 0.0) {
    const double q = -t / (1.0 + t), q2 = q * q;
    poly += 0.6 * q2 * q2 * q;
  }
  const double lb = -d * poly;
  const double margin = 0x1p-40 * (0.5 * x * x + d * (4.1 + v) - lb + 1.0);
  return u - 1.0 < lb - margin;
}

}  // namespace

double Rng::gamma(double shape) {
  if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform_open(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    const double t = v - 1.0;
    v = v * v * v;
    const double u = uniform_open();
    if (surely_accepted(x, t, v, u, d)) return d * v;
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

uint64_t stream_seed(uint64_t seed, uint64_t layer, uint64_t tensor) {
  Rng mix(seed ^ (layer * 0x9e3779b97f4a7c15ULL) ^ (tensor * 0xc2b2ae3d27d4eb4fULL));
  mix.next_u64();
  return mix.next_u64();
}

std::vector<float> sample(Rng& rng, const std::string& distribution, double dof, double scale, int64_t n) {
  std::vector<float> out(n);
  if (distribution == "normal") {
    for (float& x : out) x = static_cast<float>(scale * rng.normal());
  } else if (distribution == "laplace") {
    const double b = scale / std::sqrt(2.0);
    for (float& x : out) {
      const double u = rng.uniform_open() - 0.5;
      x = static_cast<float>(-b * std::copysign(1.0, u) * std::log(1.0 - 2.0 * std::fabs(u)));
    }
  } else if (distribution == "student_t") {
    const double unit = dof > 2.0 ? std::sqrt((dof - 2.0) / dof) : 1.0;
    for (float& x : out) {
      const double chi2 = 2.0 * rng.gamma(dof / 2.0);
      x = static_cast<float>(scale * unit * rng.normal() / std::sqrt(chi2 / dof));
    }
  } else {
    throw std::invalid_argument("unknown distribution \"" + distribution + "\" (expected normal, laplace, student_t)");
  }
  return out;
}

void softmax_rows(std::vector<float>& x, int64_t row_len) {
  const int64_t n = static_cast<int64_t>(x.size());
  if (row_len < 1 || n % row_len != 0) {
    throw std::invalid_argument("softmax_rows: the row length must be positive and divide the tensor size");
  }
  for (int64_t r = 0; r < n; r += row_len) {
    float* row = x.data() + r;
    const double m = *std::max_element(row, row + row_len);
    double sum = 0.0;
    for (int64_t i = 0; i < row_len; ++i) sum += std::exp(double{row[i]} - m);
    for (int64_t i = 0; i < row_len; ++i) row[i] = static_cast<float>(std::exp(double{row[i]} - m) / sum);
  }
}

}  // namespace dlasim::sim
