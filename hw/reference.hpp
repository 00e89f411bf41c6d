// Plain C++ reference of one layer with exactly the hardware's arithmetic (design.md §4), independent of the
// SystemC model's tiling. Accumulation order for an output (k, p) is
// the hardware's contract: kernel row r, kernel column s, then vector i — saturation depends on it.
// Grouped layers: output channel k reduces over its group's input slice only (hw/layer.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "hw/arch_params.hpp"
#include "hw/layer.hpp"

namespace dlasim::hw {

struct ReferenceResult {
  quant::QTensor output;         // rows OH·OW, cols K, in the job's output format
  int64_t saturations = 0;       // accumulator additions that clipped
};

// Throws std::invalid_argument when check_job(job) fails. With floating scales (ArchParams::float_scales) it
// runs reference_layer_float: aligned-significand dots (hw/element_fixed.hpp), fp32 partial sums
// (float_psum) accumulated in fp32 in the same (r, s, i) order; saturations are then 0.
// Integer scales: `fastest` takes the prescaled int16 path for output channels that provably cannot saturate
// (same accumulators, hw/reference.cpp); `exact` runs the defining saturating loop for every output.
enum class ReferencePath { fastest, exact };
ReferenceResult reference_layer(const LayerJob& job, const ArchParams& arch,
                                ReferencePath path = ReferencePath::fastest);
ReferenceResult reference_layer_float(const LayerJob& job, const ArchParams& arch);

// The output QTensor of a job (spec, shape, coarse scale set; codes zero).
quant::QTensor make_output_tensor(const LayerJob& job);

// Throws std::runtime_error naming the layer, the flat index (row, col) and both values at the first
// difference between the simulated and the reference output (codes, as signed or unsigned values by the
// reference's element, then per-vector scale codes).
void check_bit_exact(const std::string& layer, const quant::QTensor& simulated, const quant::QTensor& reference);

}  // namespace dlasim::hw
