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

double Rng::gamma(double shape) {
  if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform_open(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform_open();
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
