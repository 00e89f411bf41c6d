// Nonzero-element masks of an operand's vectors, for the gating logic of the MAC lanes (ArchParams::gating):
// the hardware's zero flag of a buffered vector is "mask all zero", and with operand isolation a product
// switches its multiplier only when both elements are nonzero (popcount of the two masks ANDed).
#pragma once

#include <cstdint>
#include <vector>

namespace dlasim::hw {

class VectorMasks {
 public:
  VectorMasks() = default;
  // Masks of `rows` rows of `vectors_per_row` vectors of `v` elements each; row r starts at values + r·stride
  // and vector i of a row at element i·v. Bit e of word w of a vector is element w·64 + e.
  template <class T>
  VectorMasks(const T* values, int64_t rows, int64_t stride, int64_t vectors_per_row, int v)
      : words_((v + 63) / 64), vectors_per_row_(vectors_per_row),
        bits_(std::size_t(rows * vectors_per_row) * std::size_t(words_), 0) {
    uint64_t* out = bits_.data();
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = values + r * stride;
      for (int64_t i = 0; i < vectors_per_row; ++i, out += words_) {
        for (int e = 0; e < v; ++e) out[e >> 6] |= uint64_t{row[i * v + e] != 0} << (e & 63);
      }
    }
  }

  int words() const { return words_; }
  const uint64_t* of(int64_t row, int64_t i) const { return &bits_[std::size_t(row * vectors_per_row_ + i) * words_]; }
  bool zero(const uint64_t* m) const {
    uint64_t any = 0;
    for (int w = 0; w < words_; ++w) any |= m[w];
    return any == 0;
  }
  // Elements nonzero in both vectors.
  int both_nonzero(const uint64_t* a, const uint64_t* b) const {
    int n = 0;
    for (int w = 0; w < words_; ++w) n += __builtin_popcountll(a[w] & b[w]);
    return n;
  }

 private:
  int words_ = 1;
  int64_t vectors_per_row_ = 0;
  std::vector<uint64_t> bits_;
};

}  // namespace dlasim::hw
