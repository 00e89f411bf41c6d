// Reference of the floating-scale datapath (ArchParams::float_scales): aligned-significand dot products,
// fp32 partial sums (float_psum), fp32 accumulation in the contract order (r, s, i), then the PPU.
#include "hw/reference.hpp"

#include "hw/arith.hpp"
#include "hw/element_fixed.hpp"

namespace dlasim::hw {

ReferenceResult reference_layer_float(const LayerJob& job, const ArchParams& arch) {
  const ConvShape& sh = job.shape;
  const quant::QTensor& w = *job.weights;
  const quant::QTensor& a = *job.input;
  const int v = arch.vector_size;
  const int64_t nv = w.vectors_per_row, w_stride = w.padded_cols(), a_stride = a.padded_cols();
  const int frac_bits = fixed_frac_bits(w.spec.element) + fixed_frac_bits(a.spec.element);
  const std::vector<int16_t> wf = fixed_codes(w), af = fixed_codes(a);
  const std::vector<float> scales = ppu_channel_scales(job, arch);

  ReferenceResult res;
  std::vector<float> staged(sh.out_pixels() * sh.out_c);
  for (int64_t oh = 0; oh < sh.out_h(); ++oh) {
    for (int64_t ow = 0; ow < sh.out_w(); ++ow) {
      const int64_t p = oh * sh.out_w() + ow;
      for (int64_t k = 0; k < sh.out_c; ++k) {
        const int64_t g = sh.group_of(k);
        float acc = 0.0f;
        for (int64_t r = 0; r < sh.kernel_h; ++r) {
          for (int64_t s = 0; s < sh.kernel_w; ++s) {
            const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
            // A padding tap adds +0.0 partial sums; acc is never -0.0, so skipping them changes nothing.
            if (ih < 0 || ih >= sh.in_h || iw < 0 || iw >= sh.in_w) continue;
            const int64_t wrow = sh.weight_row(k, r, s), arow = sh.input_row(ih, iw, g);
            for (int64_t i = 0; i < nv; ++i) {
              const int64_t dot = vector_dot(&wf[wrow * w_stride + i * v], &af[arow * a_stride + i * v], v);
              acc += float_psum(dot, vector_scale_value(w, wrow, i), vector_scale_value(a, arow, i), frac_bits);
            }
          }
        }
        staged[p * sh.out_c + k] = ppu_activate_fp32(acc, scales[k], (*job.bias)[k], job.relu);
      }
    }
  }
  res.output = make_output_tensor(job);
  ppu_requantize(staged, res.output);
  return res;
}

}  // namespace dlasim::hw
