// QTensor: integer codes plus their scales, in the layout the hardware consumes.
//
// Layout contract. A tensor is viewed as a row-major matrix of `rows` × `cols` where `cols` is the
// reduction axis (input channels C) and is contiguous:
//   weights     [K][R][S][C]  -> rows = K·R·S, cols = C, rows_per_group = R·S (one coarse scale per k)
//   activations [H][W][C]     -> rows = H·W,   cols = C, rows_per_group = H·W (one coarse scale per tensor)
// Each row is cut into vectors_per_row = ceil(cols / V) vectors of V = vector_size elements; codes are
// stored zero-padded to padded_cols = vectors_per_row·V so every vector is V contiguous int8 codes.
// Value of element (row, col):
//   per_tensor / per_channel : codes · coarse_scales[group]
//   per_vector (two-level)   : codes · vector_scale_codes[row·vectors_per_row + vector] · coarse_scales[group]
// with group = row / rows_per_group.
#pragma once

#include <cstdint>
#include <vector>

namespace dlasim::quant {

enum class Granularity { per_tensor, per_channel, per_vector };

struct QuantSpec {
  int bits = 8;                                  // element bits N (signed, narrow range)
  Granularity granularity = Granularity::per_channel;
  int scale_bits = 0;                            // M: unsigned per-vector scale code bits (per_vector only)
  int vector_size = 16;                          // V: vector length along cols (padding and per-vector scales)
};

// Shape of the matrix view; rows_per_group must divide rows.
struct MatrixShape {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t rows_per_group = 0;
};

struct QTensor {
  QuantSpec spec;
  MatrixShape shape;
  int64_t vectors_per_row = 0;
  std::vector<int8_t> codes;                 // rows × padded_cols(), zero padded
  std::vector<uint16_t> vector_scale_codes;  // rows × vectors_per_row (per_vector only, else empty)
  std::vector<float> coarse_scales;          // rows / rows_per_group entries

  int64_t padded_cols() const { return vectors_per_row * spec.vector_size; }
  int64_t groups() const { return shape.rows / shape.rows_per_group; }
  const int8_t* row_codes(int64_t row) const { return codes.data() + row * padded_cols(); }
  // Effective scale of element (row, col) as a float (the product the dequantizer applies):
  // coarse_scales[group], or float(vector scale code) · coarse_scales[group] for per_vector (fp32).
  // col may address the zero padding (col < padded_cols()); throws std::out_of_range otherwise.
  float scale_of(int64_t row, int64_t col) const;
  // rows × cols float values (padding dropped): float(code) · scale_of(row, col), in fp32.
  // Throws std::logic_error if the vectors' sizes do not match spec and shape.
  std::vector<float> dequantize() const;
  // Number of per-vector scale codes equal to 0 (whole vector dequantizes to 0). 0 unless per_vector.
  int64_t zeroed_vectors() const;
};

// Checks a spec and shape against the rules above; throws std::invalid_argument naming the offending
// field: bits in [2, 8]; vector_size >= 1; per_vector needs scale_bits in [1, 16] (ignored otherwise);
// rows, cols, rows_per_group > 0 with rows_per_group dividing rows; rows × padded_cols must fit int64.
void validate(const QuantSpec& spec, const MatrixShape& shape);

// An empty QTensor of the given spec and shape (codes zero, scales zero), ready to be filled.
// Validates with validate() first.
QTensor make_qtensor(const QuantSpec& spec, const MatrixShape& shape);

}  // namespace dlasim::quant
