// How an operand's vectors are laid out in a buffer whose rows hold `entry_bits` data bits (design.md §3,
// "Formats"): a row holds entry_bits / element_bits elements. A vector of V elements wider than a row takes
// ceil(V / elements per row) rows; otherwise floor(elements per row / V) vectors share a row. Each vector's
// M-bit per-vector scale code sits in a side column next to its row and is read and written with it, so
// capacities (KiB) count data bits only while traffic counts V·N + M bits per vector.
#pragma once

#include <algorithm>
#include <cstdint>

namespace dlasim::hw {

struct Packing {
  int element_bits = 8;
  int vector_size = 16;
  int scale_bits = 0;   // per-vector scale code bits (0: no per-vector scale)
  int entry_bits = 128;

  int elements_per_entry() const { return entry_bits / element_bits; }
  // Whole vectors per row (0 when a vector spans several rows).
  int vectors_per_entry() const { return elements_per_entry() / vector_size; }
  // Rows one vector occupies (1 when several vectors share a row).
  int entries_per_vector() const {
    const int per = elements_per_entry();
    return per >= vector_size ? 1 : (vector_size + per - 1) / per;
  }
  // Rows holding `vectors` vectors stored densely.
  int64_t entries_for(int64_t vectors) const {
    const int vpe = vectors_per_entry();
    return vpe > 0 ? (vectors + vpe - 1) / vpe : vectors * entries_per_vector();
  }
  // Bits a vector moves over a link: V codes plus its scale code.
  int64_t vector_bits() const { return int64_t{vector_size} * element_bits + scale_bits; }
};

}  // namespace dlasim::hw
