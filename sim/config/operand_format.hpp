// The quantization format of one operand as the config selects it (docs/config.md, quant.*).
#pragma once

#include "quant/format.hpp"
#include "sim/config/config.hpp"

namespace dlasim::sim {

// quant.<operand>.format when it is not `auto` (a format name of docs/quant.md, e.g. mxfp4, nvfp4,
// int4-v16), else signed INT `bits` with `granularity` and, per vector, two-level `scale_bits`-bit codes over
// vectors of `vector_size`. A per-vector format keeps its own V (the config rules check it against
// `vector_size`); any other format gets vector_size = `vector_size`, its codes padded to the lanes' V.
// Throws std::invalid_argument with the reason for a malformed format name.
quant::QuantSpec operand_spec(const OperandQuantConfig& q, int vector_size);

}  // namespace dlasim::sim
