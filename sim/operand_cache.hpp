// A directory of generated float operands shared by the runs of a sweep (docs/sweeps.md). A layer's float
// operands and float result (make_float_layer) depend only on run.seed, the workload's distribution keys, the
// layer's type, shape and ReLU, its index in the table and its origin (sim/operands.hpp: post-ReLU, the key
// of the upstream layer it is chained to, a hash of the model weights), so points that differ in anything
// else (bit-widths, formats, the array) reuse them instead of sampling them again. Only float tensors are
// cached: the quantized input of a chained layer is computed by each run for each design. One file per layer,
// named by a 64-bit FNV-1a hash of those inputs and holding the full key text; written to a temp file and
// renamed, so concurrent runs may race to write the same file and readers never see half a file. A file whose
// key text differs (a hash collision) or that is truncated is ignored and regenerated.
#pragma once

#include <optional>
#include <string>

#include "sim/operands.hpp"
#include "sim/run.hpp"

namespace dlasim::sim {

// The text every input of make_float_layer(c, l, index, origin.post_relu, input, model) is written into;
// `upstream_key` is the key of the layer origin.chained_from (ignored when it is -1).
std::string operand_key(const Config& c, const LayerSpec& l, uint64_t index, const OperandOrigin& origin = {},
                        const std::string& upstream_key = "", const ModelOperands* model = nullptr);

// The cached operands of `key` in `dir`, if a valid file is there.
std::optional<FloatLayer> load_operands(const std::string& dir, const std::string& key);

// Stores them (creating `dir`); throws InputError naming the path when the file cannot be written.
void store_operands(const std::string& dir, const std::string& key, const FloatLayer& f);

}  // namespace dlasim::sim
