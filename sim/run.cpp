#include "sim/run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <systemc>

#include "hw/arith.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/element_fixed.hpp"
#include "hw/reference.hpp"
#include "hw/timing.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "hw/trace/waveform.hpp"
#include "quant/quantize.hpp"
#include "quant/stats.hpp"
#include "sim/config/operand_format.hpp"
#include "sim/energy/tech.hpp"
#include "sim/input_error.hpp"
#include "sim/operand_cache.hpp"
#include "sim/operands.hpp"
#include "sim/workload/synthetic.hpp"

namespace dlasim::sim {

namespace {

// Testing only: the environment variable DLASIM_TEST_FAULT_STALL_DRAM_AFTER_BYTES=N sets the design's
// hw::ArchParams::fault_stall_dram_after_bytes (its DRAM stops serving reads after N bytes), so the CLI tests can
// see the watchdog fire end to end. Not a config key: no design has it.
hw::ArchParams fault_injected(hw::ArchParams p) {
  if (const char* n = std::getenv("DLASIM_TEST_FAULT_STALL_DRAM_AFTER_BYTES")) {
    p.fault_stall_dram_after_bytes = std::strtoull(n, nullptr, 10);
  }
  return p;
}

// Accumulator bits no layer of `layers` can overflow on `p` (ArchConfig::acc_bits = auto): per layer, the partial
// sum of its elements (wider layers run in precision sub-steps, whose shifted sum is the full-width dot product)
// times the scale product when its operands carry integer scale codes, summed over taps · ceil(Cg / V) lane
// steps. Floating-scale designs accumulate in fp32: 32 bits of registers.
int auto_acc_bits(const hw::ArchParams& p, const DesignQuant& dq, const std::vector<LayerSpec>& layers, bool overrides) {
  if (p.float_scales) return 32;
  int bits = p.psum_bits();  // at least one partial sum
  for (const LayerSpec& l : layers) {
    const DesignQuant q = overrides ? layer_quant(dq, l, p.vector_size) : dq;
    hw::ArchParams lp = p;
    lp.weight_bits = std::max(p.weight_bits, q.weights.bits());
    lp.act_bits = std::max(p.act_bits, q.activations.bits());
    const bool codes = q.weights.granularity == quant::Granularity::per_vector ||
                       q.activations.granularity == quant::Granularity::per_vector;
    const int psum = codes ? lp.psum_bits() : lp.dot_bits();
    const int64_t steps = l.shape.taps() * ((l.shape.group_in_c() + p.vector_size - 1) / p.vector_size);
    bits = std::max(bits, psum + hw::ceil_log2(steps));
  }
  return std::min(bits, 62);
}

hw::ArchParams arch_for(const Config& c, const DesignQuant& q, const std::vector<LayerSpec>& layers, bool overrides) {
  const ArchConfig& a = c.arch;
  hw::ArchParams p = a;  // every configured parameter; below, what the design's formats and the keys derive
  p.gating = hw::gating_of(a.gating_policy);
  p.weight_bits = q.weights.bits();
  p.act_bits = q.activations.bits();
  p.weight_scale_bits = q.weights.vector_scale_storage_bits();
  p.act_scale_bits = q.activations.vector_scale_storage_bits();
  p.float_scales = q.weights.float_vector_scales() || q.activations.float_vector_scales();
  p.scale_product_bits = p.has_scale_unit() ? a.scale_product_bits : 0;
  // `vectors` sizing: the configured sizes are the 8-bit baseline's; N-bit elements keep the number of vectors.
  const bool by_vectors = a.buffer_sizing == "vectors";
  const double w_ratio = by_vectors ? p.weight_bits / 8.0 : 1.0, a_ratio = by_vectors ? p.act_bits / 8.0 : 1.0;
  p.weight_buffer_kib = a.weight_buffer_kib * w_ratio;
  p.input_buffer_kib = a.input_buffer_kib * a_ratio;
  p.weight_buffer_entry_bits = std::max(p.weight_bits, int(std::lround(a.weight_buffer_entry_bits * w_ratio)));
  p.input_buffer_entry_bits = std::max(p.act_bits, int(std::lround(a.input_buffer_entry_bits * a_ratio)));
  p.acc_bits = a.acc_bits > 0 ? a.acc_bits : auto_acc_bits(p, q, layers, overrides);
  return p;
}

// The float layer computes every output as one double sum in the order (r, s, c). It vectorises across
// output channels, each SIMD lane holding its own output's sum, and keeps PX pixels × KB channels of
// sums in registers, so every output still sees exactly the additions of the plain loop nest (the
// product of two floats is exact in double, so a fused multiply-add rounds like the separate add).
#if defined(__GNUC__)
#define DLASIM_FLOAT_INLINE inline __attribute__((always_inline))
#else
#define DLASIM_FLOAT_INLINE inline
#endif

// Lanes doubles per vector (GCC/Clang vector extension); `unaligned` for loads from packed weights.
template <int Lanes>
struct DoubleVec {
  typedef double type __attribute__((vector_size(8 * Lanes)));
  typedef double unaligned __attribute__((vector_size(8 * Lanes), aligned(8)));
};

// Valid kernel range [lo, hi) of output coordinate o along an axis of `in` inputs.
inline void valid_taps(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t in, int64_t& lo, int64_t& hi) {
  const int64_t i0 = o * stride - pad;
  lo = std::max<int64_t>(0, -i0);
  hi = std::min<int64_t>(kernel, in - i0);
}

// Output channels [k0, k0 + KB) of group g at pixels (oh, ow .. ow + PX - 1), which share their valid
// taps (kernel rows [r0, r1), columns [s0, s1)); wp holds the channels' weights packed [R][S][Cg][KB].
template <int Lanes, int KB, int PX>
DLASIM_FLOAT_INLINE void float_tile(const hw::ConvShape& sh, const double* wp, const float* a, const float* bias,
                                    bool relu, int64_t g, int64_t k0, int64_t oh, int64_t ow, int64_t r0, int64_t r1,
                                    int64_t s0, int64_t s1, float* y) {
  typedef typename DoubleVec<Lanes>::type vec;
  typedef typename DoubleVec<Lanes>::unaligned vec_u;
  constexpr int NV = KB / Lanes;
  static_assert(KB % Lanes == 0, "a channel block is whole vectors");
  const int64_t cg = sh.group_in_c(), pixel_step = sh.stride * sh.in_c;
  vec acc[PX][NV];
  for (int q = 0; q < PX; ++q)
    for (int j = 0; j < NV; ++j)
      for (int e = 0; e < Lanes; ++e) acc[q][j][e] = bias[k0 + Lanes * j + e];
  const int64_t ih0 = oh * sh.stride - sh.pad, iw0 = ow * sh.stride - sh.pad;
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t s = s0; s < s1; ++s) {
      const double* wt = wp + (r * sh.kernel_w + s) * cg * KB;
      const float* ar = a + ((ih0 + r) * sh.in_w + iw0 + s) * sh.in_c + g * cg;
      for (int64_t c = 0; c < cg; ++c) {
        vec wv[NV];
        for (int j = 0; j < NV; ++j) wv[j] = *reinterpret_cast<const vec_u*>(wt + c * KB + Lanes * j);
        for (int q = 0; q < PX; ++q) {
          const double av = ar[q * pixel_step + c];
          for (int j = 0; j < NV; ++j) acc[q][j] += wv[j] * av;
        }
      }
    }
  }
  for (int q = 0; q < PX; ++q) {
    float* yq = y + (oh * sh.out_w() + ow + q) * sh.out_c + k0;
    for (int j = 0; j < NV; ++j)
      for (int e = 0; e < Lanes; ++e) {
        const double sum = acc[q][j][e];
        yq[Lanes * j + e] = static_cast<float>(relu && sum < 0.0 ? 0.0 : sum);
      }
  }
}

// One output channel k0 at pixel (oh, ow): the plain loop (channels left over after the vector blocks).
inline void float_single(const hw::ConvShape& sh, const double* wp, const float* a, const float* bias, bool relu,
                         int64_t g, int64_t k0, int64_t oh, int64_t ow, int64_t r0, int64_t r1, int64_t s0,
                         int64_t s1, float* y) {
  const int64_t cg = sh.group_in_c();
  const int64_t ih0 = oh * sh.stride - sh.pad, iw0 = ow * sh.stride - sh.pad;
  double sum = bias[k0];
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t s = s0; s < s1; ++s) {
      const double* wt = wp + (r * sh.kernel_w + s) * cg;
      const float* ar = a + ((ih0 + r) * sh.in_w + iw0 + s) * sh.in_c + g * cg;
      for (int64_t c = 0; c < cg; ++c) sum += wt[c] * ar[c];
    }
  }
  y[(oh * sh.out_w() + ow) * sh.out_c + k0] = static_cast<float>(relu && sum < 0.0 ? 0.0 : sum);
}

// Channels [k0, k0 + KB) of group g at every pixel, PX pixels at a time where neighbours share their taps.
template <int Lanes, int KB, int PX>
DLASIM_FLOAT_INLINE void float_block(const hw::ConvShape& sh, const double* wp, const float* a, const float* bias,
                                     bool relu, int64_t g, int64_t k0, float* y) {
  for (int64_t oh = 0; oh < sh.out_h(); ++oh) {
    int64_t r0, r1;
    valid_taps(oh, sh.stride, sh.pad, sh.kernel_h, sh.in_h, r0, r1);
    for (int64_t ow = 0; ow < sh.out_w();) {
      int64_t s0, s1;
      valid_taps(ow, sh.stride, sh.pad, sh.kernel_w, sh.in_w, s0, s1);
      if constexpr (KB == 1) {
        float_single(sh, wp, a, bias, relu, g, k0, oh, ow, r0, r1, s0, s1, y);
        ow += 1;
      } else {
        bool shared = ow + PX <= sh.out_w();
        for (int q = 1; shared && q < PX; ++q) {
          int64_t t0, t1;
          valid_taps(ow + q, sh.stride, sh.pad, sh.kernel_w, sh.in_w, t0, t1);
          shared = t0 == s0 && t1 == s1;
        }
        if (PX > 1 && shared) {
          float_tile<Lanes, KB, PX>(sh, wp, a, bias, relu, g, k0, oh, ow, r0, r1, s0, s1, y);
          ow += PX;
        } else {
          float_tile<Lanes, KB, 1>(sh, wp, a, bias, relu, g, k0, oh, ow, r0, r1, s0, s1, y);
          ow += 1;
        }
      }
    }
  }
}

// Weights of channels [k0, k0 + kb) from [K][R][S][Cg] into [R][S][Cg][kb] doubles.
inline void pack_weights(const hw::ConvShape& sh, const float* w, int64_t k0, int64_t kb, double* out) {
  const int64_t cg = sh.group_in_c(), taps = sh.taps();
  for (int64_t j = 0; j < kb; ++j) {
    const float* wk = w + (k0 + j) * taps * cg;
    for (int64_t t = 0; t < taps * cg; ++t) out[t * kb + j] = wk[t];
  }
}

// Every group's channels in blocks of KB, then of Lanes, then one by one.
template <int Lanes, int KB, int PX>
DLASIM_FLOAT_INLINE void float_layer_blocks(const hw::ConvShape& sh, const float* w, const float* a, const float* bias,
                                            bool relu, float* y) {
  const int64_t kg = sh.group_out_c();
  std::vector<double> wp(sh.taps() * sh.group_in_c() * KB);
  for (int64_t g = 0; g < sh.groups; ++g) {
    int64_t k = g * kg;
    const int64_t k_end = k + kg;
    for (; k + KB <= k_end; k += KB) {
      pack_weights(sh, w, k, KB, wp.data());
      float_block<Lanes, KB, PX>(sh, wp.data(), a, bias, relu, g, k, y);
    }
    for (; k + Lanes <= k_end; k += Lanes) {
      pack_weights(sh, w, k, Lanes, wp.data());
      float_block<Lanes, Lanes, 4>(sh, wp.data(), a, bias, relu, g, k, y);
    }
    for (; k < k_end; ++k) {
      pack_weights(sh, w, k, 1, wp.data());
      float_block<Lanes, 1, 1>(sh, wp.data(), a, bias, relu, g, k, y);
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) void float_layer_avx2(const hw::ConvShape& sh, const float* w, const float* a,
                                                          const float* bias, bool relu, float* y) {
  float_layer_blocks<4, 16, 2>(sh, w, a, bias, relu, y);
}
#endif

// The float layer on the float operands (double accumulation): the SQNR reference and the calibration
// data of the output scale. Weights [K][R][S][Cg], input [H][W][C]; output channel k reads its group's
// input channels [g·Cg, (g+1)·Cg) (hw/layer.hpp). Every output is bias[k] + Σ_r Σ_s Σ_c w·a summed in
// double in that order; the SIMD variants give the same bits.
std::vector<float> float_layer(const hw::ConvShape& sh, const std::vector<float>& w, const std::vector<float>& a,
                               const std::vector<float>& bias, bool relu) {
  std::vector<float> y(sh.out_pixels() * sh.out_c);
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    float_layer_avx2(sh, w.data(), a.data(), bias.data(), relu, y.data());
    return y;
  }
#endif
  float_layer_blocks<2, 8, 2>(sh, w.data(), a.data(), bias.data(), relu, y.data());
  return y;
}

}  // namespace

namespace {

// Unit-variance samples of workload.act_dist, rectified as max(0, x + b_c) with one offset b_c ~ N(0,
// bias_rel_std²) per channel of the [H][W][C] tensor (sim/operands.hpp).
std::vector<float> rectified_input(const WorkloadConfig& wl, Rng& ra, Rng& roff, const hw::ConvShape& sh) {
  std::vector<float> x = sample(ra, wl.act_dist, wl.student_t_dof, 1.0, sh.in_h * sh.in_w * sh.in_c);
  const std::vector<float> offset = sample(roff, "normal", 0.0, wl.bias_rel_std, sh.in_c);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::max(0.0f, x[i] + offset[i % offset.size()]);
  return x;
}

void check_size(const LayerSpec& l, const char* what, const std::vector<float>& v, int64_t n) {
  if (int64_t(v.size()) != n) {
    throw std::invalid_argument(
        fmt::format("layer '{}': the given {} has {} values, the layer takes {}", l.name, what, v.size(), n));
  }
}

}  // namespace

FloatLayer make_float_layer(const Config& c, const LayerSpec& l, uint64_t index, bool post_relu,
                            const std::vector<float>* input, const ModelOperands* model) {
  const hw::ConvShape& sh = l.shape;
  const WorkloadConfig& wl = c.workload;
  FloatLayer f;
  const double fan_in = double(sh.group_in_c()) * sh.taps();
  const int64_t weight_count = sh.out_c * sh.taps() * sh.group_in_c();
  const int64_t input_count = sh.in_h * sh.in_w * sh.in_c;
  Rng rw(stream_seed(c.run.seed, index, 0)), ra(stream_seed(c.run.seed, index, 1)), rb(stream_seed(c.run.seed, index, 2));
  if (l.is_attention()) {
    // attn_qk: K as [H·N][d], Q as [M][H][d]; attn_pv: Vᵀ as [H·d][N], P as [M][H][N] = softmax over the N keys
    // of unit-variance logits (those of a scaled dot product of unit-variance Q and K). No bias.
    f.weights = sample(rw, wl.act_dist, wl.student_t_dof, 1.0, weight_count);
    f.input = sample(ra, wl.act_dist, wl.student_t_dof, 1.0, input_count);
    if (l.type == "attn_pv") softmax_rows(f.input, sh.group_in_c());
    f.bias.assign(sh.out_c, 0.0f);
  } else {
    if (model) {
      check_size(l, "model weights", model->weights, weight_count);
      check_size(l, "model bias", model->bias, sh.out_c);
      f.weights = model->weights;
      f.bias = model->bias;
    } else {
      const double gain = post_relu ? 2.0 : 1.0;  // He: E[x²] of a rectified unit-variance input is about 1/2
      f.weights = sample(rw, wl.weight_dist, wl.student_t_dof, std::sqrt(gain / fan_in), weight_count);
      f.bias = sample(rb, "normal", 0.0, wl.bias_rel_std, sh.out_c);  // pre-activation std is 1 by construction
    }
    if (input) {
      check_size(l, "chained input", *input, input_count);
      f.input = *input;
    } else if (post_relu) {
      Rng roff(stream_seed(c.run.seed, index, 3));
      f.input = rectified_input(wl, ra, roff, sh);
    } else {
      f.input = sample(ra, wl.act_dist, wl.student_t_dof, 1.0, input_count);
    }
  }
  f.output = float_layer(sh, f.weights, f.input, f.bias, l.relu);
  return f;
}

std::vector<FloatLayer> make_float_layers(const Config& c, const std::vector<LayerSpec>& layers,
                                          const std::vector<ModelOperands>& model,
                                          const std::vector<OperandOrigin>& origins, const std::string& cache) {
  std::vector<FloatLayer> fl;
  std::vector<std::string> keys;  // operand cache keys; a chained layer's key holds its upstream's
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const OperandOrigin& o = origins[i];
    const ModelOperands* weights = o.model_weights ? &model[i] : nullptr;
    const auto generate = [&] {
      const std::vector<float>* input = o.chained_from >= 0 ? &fl[std::size_t(o.chained_from)].output : nullptr;
      return make_float_layer(c, layers[i], i, o.post_relu, input, weights);
    };
    if (cache.empty()) {
      fl.push_back(generate());
      continue;
    }
    keys.push_back(
        operand_key(c, layers[i], i, o, o.chained_from >= 0 ? keys[std::size_t(o.chained_from)] : "", weights));
    std::optional<FloatLayer> cached = load_operands(cache, keys.back());
    if (!cached) {
      cached = generate();
      store_operands(cache, keys.back(), *cached);
    }
    fl.push_back(std::move(*cached));
  }
  return fl;
}

quant::QuantSpec activation_weight_spec(const quant::QuantSpec& weights) {
  quant::QuantSpec s = weights;
  if (s.granularity == quant::Granularity::per_channel) s.granularity = quant::Granularity::per_tensor;
  if (s.granularity == quant::Granularity::per_vector && s.coarse == quant::CoarseLevel::per_channel) {
    s.coarse = quant::CoarseLevel::per_tensor;
  }
  return s;
}

namespace {

// Seconds since construction or the previous lap().
class Stopwatch {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// The recorder of both DLAs when options ask for a VCD; checks up front that the window's end time fits the
// VCD's 64-bit picosecond time stamps.
std::unique_ptr<hw::WaveformRecorder> make_recorder(const Config& c, const RunOptions& o) {
  if (o.vcd_path.empty()) return nullptr;
  if (o.vcd_first_cycle > o.vcd_last_cycle) {
    throw InputError(fmt::format("--vcd-window: first cycle {} is after last cycle {}", o.vcd_first_cycle,
                                 o.vcd_last_cycle));
  }
  const uint64_t period_ps = hw::clock_period(c.arch.clock_mhz).value();
  const uint64_t max_cycles = std::numeric_limits<uint64_t>::max() / period_ps;
  if (o.vcd_last_cycle >= max_cycles) {
    throw InputError(fmt::format("--vcd-window: last cycle {} is beyond the VCD time range (2^64 ps = {} cycles of "
                                 "{} ps at arch.clock_mhz {})",
                                 o.vcd_last_cycle, max_cycles, period_ps, c.arch.clock_mhz));
  }
  return std::make_unique<hw::WaveformRecorder>(o.vcd_first_cycle, o.vcd_last_cycle);
}

void write_waveform(const hw::WaveformRecorder& waves, const Config& c, const RunOptions& o) {
  try {
    waves.write(o.vcd_path, c.arch.clock_mhz, std::string("dlasim ") + DLASIM_VERSION);
  } catch (const std::runtime_error& e) {
    throw InputError(std::string("--vcd: cannot write the waveform: ") + e.what());
  }
}

bool same_matrix(const quant::MatrixShape& a, const quant::MatrixShape& b) {
  return a.rows == b.rows && a.cols == b.cols && a.rows_per_channel == b.rows_per_channel;
}

}  // namespace

std::unique_ptr<PreparedDesign> prepare_design(const std::string& label, const std::string& design,
                                               const std::string& source, const hw::ArchParams& arch,
                                               const DesignQuant& dq, const std::vector<LayerSpec>& layers,
                                               const std::vector<FloatLayer>& fl,
                                               const std::vector<OperandOrigin>& origins, bool overrides,
                                               hw::ReferencePath path) {
  auto d = std::make_unique<PreparedDesign>();
  d->result.label = label;
  d->result.arch = arch;
  d->result.quant = dq;
  d->weights.reserve(layers.size());
  d->inputs.reserve(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const hw::ConvShape& sh = layers[i].shape;
    const DesignQuant q = overrides ? layer_quant(dq, layers[i], arch.vector_size) : dq;
    // The input [H][W][C] is quantized as H·W·G rows of Cg (hw/layer.hpp): vectors restart at every group
    // boundary, so they line up with the weight vectors of [K][R][S][Cg]. An attention GEMM's B operand (K or
    // Vᵀ) is an activation: weight-port format, one coarse scale per tensor, max-calibrated on itself.
    const quant::QuantSpec ws = layers[i].is_attention() ? activation_weight_spec(q.weights) : q.weights;
    d->weights.push_back(quant::quantize(fl[i].weights.data(), sh.weight_matrix(), ws));
    const bool attention = layers[i].is_attention();
    const quant::QuantSpec in_spec =
        dq.unsigned_after_relu && origins[i].post_relu && !attention ? unsigned_spec(q.activations) : q.activations;
    const quant::QuantSpec out_spec =
        dq.unsigned_after_relu && layers[i].relu && !attention ? unsigned_spec(q.activations) : q.activations;
    const int64_t from = origins[i].chained_from;
    const quant::QTensor* up = from >= 0 ? &d->references[std::size_t(from)].output : nullptr;
    const bool codes_chained = up && same_matrix(up->shape, sh.input_matrix()) && up->spec == in_spec;
    // Per-tensor activation scales follow the design's calibrator; per-vector and block scales are max-calibrated.
    const quant::CalibSpec calib = in_spec.granularity == quant::Granularity::per_tensor ? dq.act_calib : quant::CalibSpec{};
    const quant::CalibSpec out_calib =
        out_spec.granularity == quant::Granularity::per_tensor ? dq.act_calib : quant::CalibSpec{};
    d->inputs.push_back(codes_chained ? *up : quant::quantize(fl[i].input.data(), sh.input_matrix(), in_spec, {calib}));
    hw::LayerJob job;
    job.name = layers[i].name;
    job.shape = sh;
    job.relu = layers[i].relu;
    job.weights = &d->weights[i];
    job.input = &d->inputs[i];
    job.bias = &fl[i].bias;
    job.weights_are_activations = layers[i].is_attention();
    job.output.spec = out_spec;
    const std::vector<float> out_coarse = quant::calibrate_coarse_scales(
        fl[i].output.data(), {sh.out_pixels(), sh.out_c, sh.out_pixels()}, out_spec, out_calib);
    job.output.coarse_scale = out_coarse.empty() ? 1.0f : out_coarse[0];  // MX formats have no coarse scale
    check_tiling(source, design, arch, {job});
    d->references.push_back(hw::reference_layer(job, arch, path));
    d->operands.push_back(operand_label(origins[i], codes_chained));
    d->jobs.push_back(job);
  }
  return d;
}

namespace {

// Checks every layer bit-exactly, then fills the design's statistics.
void evaluate(PreparedDesign& d, const hw::Dla& dla, const std::vector<FloatLayer>& fl, const Tech& tech) {
  DesignResult& r = d.result;
  const EnergyModel model(tech, r.arch);
  r.area_um2 = model.area();
  const auto& decls = dla.counters().decls();
  const auto find_counter = [&](const std::string& name) {  // decls.size() when the design has no such counter
    std::size_t i = 0;
    while (i < decls.size() && decls[i].name != name) ++i;
    return i;
  };
  const auto counter_index = [&](const std::string& name) {
    const std::size_t i = find_counter(name);
    if (i == decls.size()) throw std::logic_error("no counter named " + name);
    return i;
  };
  const std::size_t saturation_counter = counter_index("pe.collector.saturations");
  const std::size_t dram_read = counter_index("dram.read_bits"), dram_write = counter_index("dram.write_bits");
  const std::size_t stall_dram = counter_index("stall.dram"), stall_gbuf = counter_index("stall.gbuf");
  const std::size_t stall_collector = counter_index("stall.collector_full");
  const std::size_t lane_steps = counter_index("pe.activity.lane_steps");
  const std::size_t zero_vectors = counter_index("pe.activity.zero_vector_steps");
  const std::size_t zero_psums = counter_index("pe.activity.zero_psums");
  const std::size_t acc_adds = counter_index("pe.collector.acc_add"), dots = counter_index("pe.mac_lane.dot");
  const std::size_t zero_scales = find_counter("pe.activity.zero_scale_products");  // the scale unit's, if any
  double ref_energy = 0.0, err_energy = 0.0;
  for (std::size_t i = 0; i < d.jobs.size(); ++i) {
    const hw::LayerJob& job = d.jobs[i];
    const hw::LayerResult& sim = dla.results()[i];
    const hw::ReferenceResult& ref = d.references[i];
    hw::check_bit_exact(job.name, sim.output, ref.output);
    if (uint64_t(ref.saturations) != sim.counters[saturation_counter]) {
      throw std::runtime_error(fmt::format("layer '{}': {} saturations simulated, {} in the reference", job.name,
                                           sim.counters[saturation_counter], ref.saturations));
    }
    LayerStats s;
    s.name = job.name;
    s.macs = job.shape.macs();
    s.outputs = job.shape.out_pixels() * job.shape.out_c;
    s.cycles = sim.cycles;
    const hw::TilingPlan& plan = dla.plans()[i];
    s.compute_bound_cycles = (s.macs + r.arch.peak_macs_per_cycle() - 1) / r.arch.peak_macs_per_cycle();
    s.min_dram_bytes = (hw::min_dram_bits(plan) + 7) / 8;
    s.memory_bound_cycles = r.arch.dram_bytes_per_cycle > 0.0
                                ? uint64_t(std::ceil(double(s.min_dram_bytes) / r.arch.dram_bytes_per_cycle))
                                : 0;
    s.bound_cycles = std::max(s.compute_bound_cycles, s.memory_bound_cycles);
    s.dram_bytes = (sim.counters[dram_read] + sim.counters[dram_write] + 7) / 8;
    s.passes = plan.passes();
    s.stall_dram = sim.counters[stall_dram];
    s.stall_gbuf = sim.counters[stall_gbuf];
    s.stall_collector_full = sim.counters[stall_collector];
    if (s.cycles < s.bound_cycles) {
      throw std::runtime_error(fmt::format("layer '{}': {} simulated cycles are below the bound {} = max(compute {}, "
                                           "DRAM {})",
                                           job.name, s.cycles, s.bound_cycles, s.compute_bound_cycles,
                                           s.memory_bound_cycles));
    }
    s.utilisation = double(s.macs) / (double(s.cycles) * r.arch.peak_macs_per_cycle());
    const Breakdown e = model.energy(decls, sim.counters, sim.cycles);
    s.energy_pj = e.total;
    s.energy_by_component = e.by_component;
    s.lane_steps = sim.counters[lane_steps];
    s.zero_vector_steps = sim.counters[zero_vectors];
    s.zero_scale_products = zero_scales < decls.size() ? sim.counters[zero_scales] : 0;
    s.zero_psums = sim.counters[zero_psums];
    s.gated_accumulates = s.lane_steps - sim.counters[acc_adds];
    s.gated_dots = s.lane_steps * uint64_t(hw::precision_steps(job, r.arch)) - sim.counters[dots];
    for (const auto& [component, pj] : e.by_component) r.energy_pj.by_component[component] += pj;
    r.energy_pj.total += e.total;
    const std::vector<float> deq = sim.output.dequantize();
    const quant::ErrorStats es = quant::error_stats(fl[i].output.data(), deq.data(), int64_t(deq.size()));
    s.sqnr_db = es.sqnr_db;
    ref_energy += es.signal_energy;
    err_energy += es.error_energy;
    s.saturations = sim.counters[saturation_counter];
    s.zeroed_vectors = d.weights[i].zeroed_vectors() + d.inputs[i].zeroed_vectors() + sim.output.zeroed_vectors();
    s.operands = d.operands[i];
    for (std::size_t c = 0; c < decls.size(); ++c) r.counters[decls[c].name] += sim.counters[c];
    r.cycles += s.cycles;
    r.macs += s.macs;
    r.layers.push_back(s);
  }
  r.sqnr_db = 10.0 * std::log10(ref_energy / err_energy);
}

}  // namespace

std::string design_label(const DesignQuant& q) {
  const auto integer = [](const quant::QuantSpec& s) {
    return s.format().kind == quant::ElementKind::integer && s.format().frac_bits == 0 && !s.float_vector_scales();
  };
  if (!integer(q.weights) || !integer(q.activations)) {
    return fmt::format("W:{}/A:{}", quant::format_name(q.weights), quant::format_name(q.activations));
  }
  auto scale = [](const quant::QuantSpec& s) {
    return s.granularity == quant::Granularity::per_vector ? std::to_string(s.scale_bits) : std::string("-");
  };
  return fmt::format("W{}/A{}/{}/{}", q.weights.bits(), q.activations.bits(), scale(q.weights), scale(q.activations));
}

std::string resolve_config_path(const Config& c, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? path : (std::filesystem::path(c.config_dir) / p).lexically_normal().string();
}

DesignQuant layer_quant(const DesignQuant& design, const LayerSpec& l, int vector_size) {
  DesignQuant q = design;
  if (!l.weights_format.empty()) q.weights = operand_spec({8, "per_channel", 0, l.weights_format}, vector_size);
  if (!l.act_format.empty()) q.activations = operand_spec({8, "per_tensor", 0, l.act_format}, vector_size);
  return q;
}

void check_layer_formats(const Config& c, const std::vector<LayerSpec>& layers) {
  const hw::ArchParams lanes = design_arch(c, layers);
  const DesignQuant dq = design_quant(c);
  for (const LayerSpec& l : layers) {
    if (l.weights_format.empty() && l.act_format.empty()) continue;
    const DesignQuant q = layer_quant(dq, l, c.arch.vector_size);
    const std::string why = hw::lanes_refusal(q.weights, q.activations, lanes);
    if (!why.empty()) {
      throw InputError(fmt::format("{}: layer '{}': formats W:{}/A:{} do not fit the design's MAC lanes ({} x {} bits, "
                                   "V = {}): {}. One DLA has one set of lanes",
                                   resolve_config_path(c, c.workload.layers), l.name, quant::format_name(q.weights),
                                   quant::format_name(q.activations), lanes.weight_bits, lanes.act_bits,
                                   lanes.vector_size, why));
    }
  }
}

DesignQuant design_quant(const Config& c) {
  return {operand_spec(c.quant.weights, c.arch.vector_size), operand_spec(c.quant.activations, c.arch.vector_size),
          c.quant.activations.unsigned_after_relu, quant::parse_calib(c.quant.activations.calibrator)};
}

quant::QuantSpec unsigned_spec(const quant::QuantSpec& s) {
  if (!hw::codes_are_values(s.element)) return s;
  quant::QuantSpec u = s;
  u.element = quant::ElementId(int(quant::ElementId::uint2) + (s.bits() - 2));
  return u;
}

DesignQuant baseline_quant(const Config& c) {
  return {operand_spec({8, "per_channel", 0, "auto"}, c.arch.vector_size),
          operand_spec({8, "per_tensor", 0, "auto"}, c.arch.vector_size), false, quant::CalibSpec{}};
}

hw::ArchParams design_arch(const Config& c, const std::vector<LayerSpec>& layers) {
  return arch_for(c, design_quant(c), layers, true);
}
hw::ArchParams baseline_arch(const Config& c, const std::vector<LayerSpec>& layers) {
  return arch_for(c, baseline_quant(c), layers, false);
}
hw::ArchParams design_arch(const Config& c) {
  return design_arch(c, load_layer_table(config_file(c, "workload.layers", c.workload.layers)));
}
hw::ArchParams baseline_arch(const Config& c) {
  return baseline_arch(c, load_layer_table(config_file(c, "workload.layers", c.workload.layers)));
}

std::string config_file(const Config& c, const std::string& key, const std::string& value) {
  const std::string path = resolve_config_path(c, value);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw InputError(fmt::format("{}: cannot open: no such file ({}: {}, relative to the config directory {})", path,
                                 key, value, c.config_dir));
  }
  return path;
}

void check_tiling(const std::string& source, const std::string& design, const hw::ArchParams& arch,
                  const std::vector<hw::LayerJob>& jobs) {
  for (const hw::LayerJob& job : jobs) {
    try {
      hw::plan_tiling(job, arch);
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("{}: {} on the {} (PE buffers arch.weight_buffer_kib, arch.input_buffer_kib, "
                                   "arch.*_buffer_entry_bits, arch.double_buffering)",
                                   source, e.what(), design));
    }
  }
}

RunResult run_workload(const Config& config, const RunOptions& options) {
  RunResult result;
  const std::unique_ptr<hw::WaveformRecorder> waves = make_recorder(config, options);
  Stopwatch clock;
  const std::string layers_file = config_file(config, "workload.layers", config.workload.layers);
  std::vector<ModelOperands> model;
  const std::vector<LayerSpec> layers =
      is_model_file(layers_file) ? load_model_layers(layers_file, &model) : load_layer_table(layers_file);
  check_layer_formats(config, layers);
  const Tech tech = load_tech(config_file(config, "tech", config.tech));
  const std::vector<OperandOrigin> origins = operand_origins(layers, model);
  const std::vector<FloatLayer> fl = make_float_layers(config, layers, model, origins, options.operand_cache);
  result.timing.generate_s = clock.lap();

  const std::string layers_path = resolve_config_path(config, config.workload.layers);
  const auto design = prepare_design(design_label(design_quant(config)), "design", layers_path,
                                     fault_injected(design_arch(config, layers)), design_quant(config), layers, fl,
                                     origins, true, options.reference_path);
  const std::vector<LayerSpec> no_layers;
  const auto baseline = prepare_design(design_label(baseline_quant(config)), "baseline", layers_path,
                                       baseline_arch(config, layers), baseline_quant(config),
                                       options.with_baseline ? layers : no_layers, fl, origins, false,
                                       options.reference_path);
  // One elaboration holds both DLAs; each times its own layers.
  hw::Dla design_dla("design", design->result.arch, design->jobs, waves.get());
  hw::Dla baseline_dla("baseline", baseline->result.arch, baseline->jobs, waves.get());
  result.timing.quantize_s = clock.lap();
  hw::simulate();
  result.timing.simulate_s = clock.lap();
  result.simulated_cycles = hw::to_cycles(sc_core::sc_time_stamp(), hw::clock_period(config.arch.clock_mhz));
  if (waves) write_waveform(*waves, config, options);
  hw::check_finished({&design_dla, &baseline_dla});
  evaluate(*design, design_dla, fl, tech);
  if (options.with_baseline) evaluate(*baseline, baseline_dla, fl, tech);
  result.timing.check_s = clock.lap();

  result.tech_name = tech.name;
  result.design = design->result;
  result.baseline = baseline->result;
  return result;
}

}  // namespace dlasim::sim
