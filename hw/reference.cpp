#include "hw/reference.hpp"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/arith.hpp"

namespace dlasim::hw {

quant::QTensor make_output_tensor(const LayerJob& job) {
  const int64_t rows = job.shape.out_pixels();
  quant::QTensor out = quant::make_qtensor(job.output.spec, {rows, job.shape.out_c, rows});
  if (!out.coarse_scales.empty()) out.coarse_scales[0] = job.output.coarse_scale;  // MX formats have none
  return out;
}

ReferenceResult reference_layer(const LayerJob& job, const ArchParams& arch) {
  check_job(job);
  if (arch.float_scales) return reference_layer_float(job, arch);
  const ConvShape& sh = job.shape;
  const quant::QTensor& w = *job.weights;
  const quant::QTensor& a = *job.input;
  const int v = arch.vector_size;
  const int64_t nv = w.vectors_per_row;
  const bool w_pv = !w.vector_scale_codes.empty(), a_pv = !a.vector_scale_codes.empty();
  const int shift = arch.scale_product_shift(), width = arch.scale_product_width();
  const std::vector<float> scales = ppu_channel_scales(job, arch);

  ReferenceResult res;
  std::vector<float> staged(sh.out_pixels() * sh.out_c);
  for (int64_t oh = 0; oh < sh.out_h(); ++oh) {
    for (int64_t ow = 0; ow < sh.out_w(); ++ow) {
      const int64_t p = oh * sh.out_w() + ow;
      for (int64_t k = 0; k < sh.out_c; ++k) {
        const int64_t g = sh.group_of(k);
        int64_t acc = 0;
        for (int64_t r = 0; r < sh.kernel_h; ++r) {
          for (int64_t s = 0; s < sh.kernel_w; ++s) {
            const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
            if (ih < 0 || ih >= sh.in_h || iw < 0 || iw >= sh.in_w) continue;  // zero vector: acc unchanged
            const int64_t wrow = sh.weight_row(k, r, s), arow = sh.input_row(ih, iw, g);
            for (int64_t i = 0; i < nv; ++i) {
              const int64_t dot = vector_dot(w.row_codes(wrow) + i * v, a.row_codes(arow) + i * v, v);
              int64_t psum = dot;
              if (arch.has_scale_unit()) {
                const uint32_t ws = w_pv ? w.vector_scale_codes[wrow * nv + i] : 1;
                const uint32_t as = a_pv ? a.vector_scale_codes[arow * nv + i] : 1;
                psum = dot * int64_t{scale_product(ws, as, shift, width)};
              }
              bool sat = false;
              acc = saturate(acc + psum, arch.acc_bits, &sat);
              res.saturations += sat;
            }
          }
        }
        staged[p * sh.out_c + k] = ppu_activate(acc, scales[k], (*job.bias)[k], job.relu);
      }
    }
  }
  res.output = make_output_tensor(job);
  ppu_requantize(staged, res.output);
  return res;
}

void check_bit_exact(const std::string& layer, const quant::QTensor& simulated, const quant::QTensor& reference) {
  const int64_t pc = reference.padded_cols();
  for (std::size_t i = 0; i < reference.codes.size(); ++i) {
    if (simulated.codes.at(i) != reference.codes[i]) {
      throw std::runtime_error(fmt::format(
          "bit-exact check failed in layer '{}': output code at (row {}, col {}) is {} in the simulation, {} in "
          "the reference",
          layer, i / pc, i % pc, int{static_cast<int8_t>(simulated.codes[i])}, int{static_cast<int8_t>(reference.codes[i])}));
    }
  }
  for (std::size_t i = 0; i < reference.vector_scales.size(); ++i) {
    if (std::memcmp(&simulated.vector_scales.at(i), &reference.vector_scales[i], sizeof(float)) != 0) {
      throw std::runtime_error(fmt::format(
          "bit-exact check failed in layer '{}': output fp32 scale at (row {}, vector {}) is {} in the simulation, "
          "{} in the reference",
          layer, i / reference.vectors_per_row, i % reference.vectors_per_row, simulated.vector_scales[i],
          reference.vector_scales[i]));
    }
  }
  for (std::size_t i = 0; i < reference.vector_scale_codes.size(); ++i) {
    if (simulated.vector_scale_codes.at(i) != reference.vector_scale_codes[i]) {
      throw std::runtime_error(fmt::format(
          "bit-exact check failed in layer '{}': output scale code at (row {}, vector {}) is {} in the "
          "simulation, {} in the reference",
          layer, i / reference.vectors_per_row, i % reference.vectors_per_row, simulated.vector_scale_codes[i],
          reference.vector_scale_codes[i]));
    }
  }
}

}  // namespace dlasim::hw
