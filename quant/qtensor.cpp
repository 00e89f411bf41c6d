#include "quant/qtensor.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

#include "quant/int_format.hpp"

namespace dlasim::quant {

namespace {

constexpr int kMinScaleBits = 1;
constexpr int kMaxScaleBits = 16;  // vector scale codes are stored as uint16_t

[[noreturn]] void invalid(const std::string& what) {
  throw std::invalid_argument("quant: " + what);
}

// Throws std::logic_error unless the vectors of `t` have the sizes its spec and shape imply.
void check_consistent(const QTensor& t) {
  const int64_t vpr = t.vectors_per_row;
  if (t.shape.rows <= 0 || t.shape.cols <= 0 || t.shape.rows_per_group <= 0 ||
      t.shape.rows % t.shape.rows_per_group != 0 || t.spec.vector_size < 1 ||
      vpr != (t.shape.cols + t.spec.vector_size - 1) / t.spec.vector_size) {
    throw std::logic_error("QTensor: shape, spec and vectors_per_row are inconsistent");
  }
  const auto rows = static_cast<std::size_t>(t.shape.rows);
  if (t.codes.size() != rows * static_cast<std::size_t>(t.padded_cols())) {
    throw std::logic_error("QTensor: codes.size() != rows * padded_cols()");
  }
  const std::size_t n_vs =
      t.spec.granularity == Granularity::per_vector ? rows * static_cast<std::size_t>(vpr) : 0;
  if (t.vector_scale_codes.size() != n_vs) {
    throw std::logic_error("QTensor: vector_scale_codes.size() != rows * vectors_per_row (per_vector) or 0");
  }
  if (t.coarse_scales.size() != static_cast<std::size_t>(t.groups())) {
    throw std::logic_error("QTensor: coarse_scales.size() != rows / rows_per_group");
  }
}

}  // namespace

void validate(const QuantSpec& spec, const MatrixShape& shape) {
  if (spec.bits < kMinIntBits || spec.bits > kMaxIntBits) {
    invalid("QuantSpec.bits = " + std::to_string(spec.bits) + " is outside [" + std::to_string(kMinIntBits) +
            ", " + std::to_string(kMaxIntBits) + "]");
  }
  if (spec.vector_size < 1) {
    invalid("QuantSpec.vector_size = " + std::to_string(spec.vector_size) + " must be >= 1");
  }
  if (spec.granularity == Granularity::per_vector &&
      (spec.scale_bits < kMinScaleBits || spec.scale_bits > kMaxScaleBits)) {
    invalid("QuantSpec.scale_bits = " + std::to_string(spec.scale_bits) + " is outside [" +
            std::to_string(kMinScaleBits) + ", " + std::to_string(kMaxScaleBits) +
            "] (required for per_vector granularity)");
  }
  if (shape.rows <= 0) invalid("MatrixShape.rows = " + std::to_string(shape.rows) + " must be > 0");
  if (shape.cols <= 0) invalid("MatrixShape.cols = " + std::to_string(shape.cols) + " must be > 0");
  if (shape.rows_per_group <= 0) {
    invalid("MatrixShape.rows_per_group = " + std::to_string(shape.rows_per_group) + " must be > 0");
  }
  if (shape.rows % shape.rows_per_group != 0) {
    invalid("MatrixShape.rows_per_group = " + std::to_string(shape.rows_per_group) +
            " does not divide rows = " + std::to_string(shape.rows));
  }
  // Overflow guard: rows × vectors_per_row × V must be representable.
  const int64_t v = spec.vector_size;
  const int64_t vpr = shape.cols / v + (shape.cols % v != 0 ? 1 : 0);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (vpr > kMax / v || shape.rows > kMax / (vpr * v)) {
    invalid("MatrixShape rows × padded cols overflows int64");
  }
}

QTensor make_qtensor(const QuantSpec& spec, const MatrixShape& shape) {
  validate(spec, shape);
  QTensor t;
  t.spec = spec;
  t.shape = shape;
  t.vectors_per_row = (shape.cols + spec.vector_size - 1) / spec.vector_size;
  t.codes.assign(static_cast<std::size_t>(shape.rows * t.padded_cols()), 0);
  if (spec.granularity == Granularity::per_vector) {
    t.vector_scale_codes.assign(static_cast<std::size_t>(shape.rows * t.vectors_per_row), 0);
  }
  t.coarse_scales.assign(static_cast<std::size_t>(t.groups()), 0.0f);
  return t;
}

float QTensor::scale_of(int64_t row, int64_t col) const {
  if (row < 0 || row >= shape.rows || col < 0 || col >= padded_cols()) {
    throw std::out_of_range("QTensor::scale_of: (" + std::to_string(row) + ", " + std::to_string(col) +
                            ") outside " + std::to_string(shape.rows) + " x " +
                            std::to_string(padded_cols()));
  }
  const float coarse = coarse_scales.at(static_cast<std::size_t>(row / shape.rows_per_group));
  if (spec.granularity != Granularity::per_vector) return coarse;
  const uint16_t sq =
      vector_scale_codes.at(static_cast<std::size_t>(row * vectors_per_row + col / spec.vector_size));
  return static_cast<float>(sq) * coarse;
}

std::vector<float> QTensor::dequantize() const {
  check_consistent(*this);
  const int64_t rows = shape.rows;
  const int64_t cols = shape.cols;
  const int64_t v_size = spec.vector_size;
  const int64_t pc = padded_cols();
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t* c = codes.data() + r * pc;
    float* o = out.data() + r * cols;
    const float coarse = coarse_scales[static_cast<std::size_t>(r / shape.rows_per_group)];
    if (spec.granularity != Granularity::per_vector) {
      for (int64_t j = 0; j < cols; ++j) o[j] = static_cast<float>(c[j]) * coarse;
      continue;
    }
    const uint16_t* sq = vector_scale_codes.data() + r * vectors_per_row;
    for (int64_t vi = 0; vi < vectors_per_row; ++vi) {
      const float scale = static_cast<float>(sq[vi]) * coarse;  // s_q2 = s_q · γ (7h)
      const int64_t begin = vi * v_size;
      const int64_t end = std::min(cols, begin + v_size);
      for (int64_t j = begin; j < end; ++j) o[j] = static_cast<float>(c[j]) * scale;  // 7i/7j
    }
  }
  return out;
}

int64_t QTensor::zeroed_vectors() const {
  if (spec.granularity != Granularity::per_vector) return 0;
  return static_cast<int64_t>(std::count(vector_scale_codes.begin(), vector_scale_codes.end(), uint16_t{0}));
}

}  // namespace dlasim::quant
