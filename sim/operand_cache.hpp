// A directory of generated float operands shared by the runs of a sweep (docs/sweeps.md). A layer's seeded
// operands and float result (make_float_layer) depend only on run.seed, the workload's distribution keys, the
// layer's type, shape and ReLU and its index in the table, so points that differ in anything else (bit-widths,
// formats, the array) reuse them instead of sampling them again. One file per layer, named by a 64-bit FNV-1a
// hash of those inputs and holding the full key text; written to a temp file and renamed, so concurrent runs
// may race to write the same file and readers never see half a file. A file whose key text differs (a hash
// collision) or that is truncated is ignored and regenerated.
#pragma once

#include <optional>
#include <string>

#include "sim/run.hpp"

namespace dlasim::sim {

// The text every input of make_float_layer(c, l, index) is written into.
std::string operand_key(const Config& c, const LayerSpec& l, uint64_t index);

// The cached operands of `key` in `dir`, if a valid file is there.
std::optional<FloatLayer> load_operands(const std::string& dir, const std::string& key);

// Stores them (creating `dir`); throws InputError naming the path when the file cannot be written.
void store_operands(const std::string& dir, const std::string& key, const FloatLayer& f);

}  // namespace dlasim::sim
