// SCALE-Sim topology CSV import (SCALE-Sim v2/v3 "topology" files; docs/architecture.md, "SCALE-Sim
// topology import").
//
//   conv form:  Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
//               (or "Stride height, Stride width" in place of "Strides"; both strides must be equal)
//   GEMM form:  Layer, M, N, K,
//   either form may end with SCALE-Sim v3's "Sparsity" column (N:M); it is checked and ignored.
//
// Header names compare case-insensitively with spaces ignored; the trailing comma SCALE-Sim writes is optional.
// Blank lines and lines starting with '#' are skipped. Every row becomes a dlasim LayerSpec:
//   conv  -> conv with pad = 0 on the given (pre-padded) IFMAP, relu = 0, groups = 1; output size
//            floor((H - R) / stride) + 1 (SCALE-Sim's ceil((H - R + stride) / stride) counts one more partial
//            window when stride does not divide H - R; dlasim does not).
//            A name containing "DP" is SCALE-Sim's depthwise marker: groups = Channels, out_c = Channels x
//            Num Filter (dwconv when Num Filter = 1).
//   GEMM  -> gemm with in_h = M, in_c = K (the reduction), out_c = N: SCALE-Sim maps M, N, K to an M x K
//            IFMAP, a 1 x K filter, 1 channel and N filters, i.e. an M x N output reducing over K.
// Errors name the file, line, column number (1-based) and column name.
#pragma once

#include <string>
#include <vector>

#include "sim/workload/layer_table.hpp"

namespace dlasim::sim {

// True if the first non-blank, non-comment line of `text` is a SCALE-Sim header (its first cell starts
// with "Layer", case-insensitive); dlasim layer tables start with "name".
bool is_scalesim_topology(const std::string& text);

// Throws InputError naming the file, line and column on any malformed entry.
std::vector<LayerSpec> parse_scalesim_topology(const std::string& text, const std::string& source);

}  // namespace dlasim::sim
