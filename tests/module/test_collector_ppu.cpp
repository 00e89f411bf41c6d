// Module testbench of the accumulation collector (hw::AccumulationCollector) and the PPU (hw::Ppu) against
// hw::reference_layer and a computation written independently in this file.
//
// The bench drives the waves hw::plan_waves plans for small layers whose weight buffer is small enough that
// every tile set takes several reduction passes. The test fills each wave's partial sums itself, from the
// operand tensors with plain loops (integer scale products rounded half up and saturated, or the fp32 partial
// sums of the floating scale unit), standing in for the MAC array and the scale unit. A driver sends the
// waves with random gaps and a random "first result" latency, claiming a collector bank for the first pass of
// each tile set from the banks the PPU hands back (a relay records when and which); a sink takes the PPU's
// output writes with random hold times, so the PPU's two staging buffers fill and banks come back late. A tap
// between the collector and the PPU copies every bank as it is handed over.
//
// After sc_start() the test checks:
//   values  — every layer's output QTensor equals hw::reference_layer's bit for bit (codes, scale codes); the
//             saturation counter equals the reference's (and this file's own count); every accumulator of
//             every bank handed to the PPU equals this file's accumulation in step order (fp32: bit for bit);
//   timing  — a closed-form model replayed from the recorded gaps, latencies and holds, following the passes
//             through the same fifos: collector ready_at = start + issue_cycles + collector_latency (start: the
//             first partial sum arrived and the previous pass is through); PPU busy ⌈outputs of the busiest PE
//             / ppu_outputs_per_cycle⌉ from the later of the bank's ready_at and its previous write handed
//             over, then the bank is freed, then the write goes out (a layer's last one ppu_latency later);
//   banks   — the PPU hands back each tile set's bank when the model says, and the driver got them in order;
//   writes  — each write's bits, layer and last flag from an independent count of the output tensor;
//   counters — pe.collector.acc_add and ppu.* equal independent counts.
//
// Each TEST_CASE elaborates one simulation and calls sc_start() once (ctest runs each in its own process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/layer.hpp"
#include "hw/pe/accumulation_collector.hpp"
#include "hw/ppu/ppu.hpp"
#include "hw/reference.hpp"
#include "hw/timing.hpp"
#include "hw/top/simulation.hpp"
#include "hw/wave.hpp"
#include "quant/format.hpp"
#include "quant/qtensor.hpp"
#include "quant/quantize.hpp"

namespace {

using namespace dlasim;
using hw::ArchParams;
using hw::WavePtr;
using sc_core::sc_time;

// ---------------------------------------------------------------------------------------------------------
// Layers

// One layer: operands, bias, job; the job points into the object, so it lives in a deque and never moves.
struct Layer {
  quant::QTensor weights, input;
  std::vector<float> bias;
  hw::LayerJob job;
  std::vector<WavePtr> waves;
  hw::ReferenceResult reference;
  // This file's own accumulators [p][k] after the whole reduction (integer or fp32) and clip count.
  std::vector<int64_t> acc;
  std::vector<float> acc_f;
  int64_t saturations = 0;
};

std::vector<float> normal_values(std::size_t n, float sigma, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = nd(rng);
  return x;
}

// ---------------------------------------------------------------------------------------------------------
// Independent computation of the partial sums and of the accumulators

// Scale product of two unsigned scale codes rounded to a multiple of 2^shift, ties up, saturated at
// 2^width - 1 (a remainder test, not the hardware's add-and-shift).
int64_t rounded_scale_product(int64_t ws, int64_t as, int shift, int width) {
  const int64_t exact = ws * as, unit = int64_t{1} << shift;
  int64_t q = exact / unit;
  if (shift > 0 && 2 * (exact % unit) >= unit) ++q;
  return std::min(q, (int64_t{1} << width) - 1);
}

// Value of a per-vector scale as the floating scale unit multiplies it: E8M0 code c is 2^(c - 127).
double e8m0_value(uint16_t code) { return std::ldexp(1.0, int(code) - 127); }

struct Operand {
  int64_t wrow = 0, arow = 0, i = 0;
  bool inside = false;
};

// The operand rows of output channel k, output pixel p at reduction step j (j = tap·nv + i; hw/wave.hpp).
Operand operand_of(const hw::ConvShape& sh, int64_t nv, int64_t k, int64_t p, int64_t j) {
  const int64_t tap = j / nv, r = tap / sh.kernel_w, s = tap % sh.kernel_w;
  const int64_t oh = p / sh.out_w(), ow = p % sh.out_w();
  const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
  Operand o;
  o.i = j % nv;
  o.inside = ih >= 0 && ih < sh.in_h && iw >= 0 && iw < sh.in_w;
  if (!o.inside) return o;  // padding tap: a zero input vector
  const int64_t g = k / (sh.out_c / sh.groups);
  o.wrow = (k * sh.kernel_h + r) * sh.kernel_w + s;   // weights [K][R][S][Cg]
  o.arow = (ih * sh.in_w + iw) * sh.groups + g;       // input [H][W][G][Cg]
  return o;
}

// Integer partial sum of (k, p, j): dot product of the codes, times the rounded scale product when the arch has
// a scale unit (a tensor without per-vector scale codes contributes code 1).
int64_t int_psum(const Layer& l, const ArchParams& a, int64_t k, int64_t p, int64_t j) {
  const quant::QTensor &w = *l.job.weights, &in = *l.job.input;
  const int64_t v = a.vector_size, nv = w.vectors_per_row, cg = l.job.shape.in_c / l.job.shape.groups;
  const Operand o = operand_of(l.job.shape, nv, k, p, j);
  if (!o.inside) return 0;
  int64_t dot = 0;
  for (int64_t c = o.i * v; c < std::min(cg, (o.i + 1) * v); ++c) {
    dot += int64_t{w.row_codes(o.wrow)[c]} * int64_t{in.row_codes(o.arow)[c]};
  }
  if (!a.has_scale_unit()) return dot;
  const int64_t ws = w.vector_scale_codes.empty() ? 1 : w.vector_scale_codes[o.wrow * nv + o.i];
  const int64_t as = in.vector_scale_codes.empty() ? 1 : in.vector_scale_codes[o.arow * nv + o.i];
  // Hand-derived for these benches: M_w + M_a = 4 + 6 = 10 bits rounded to R = 8 drops 2 bits.
  return dot * rounded_scale_product(ws, as, 2, 8);
}

// Floating partial sum of (k, p, j) with E8M0 scales on both operands: the element values' dot product (exact
// in double: products of FP4 values are multiples of 1/4), times both scales (powers of two), rounded once to
// fp32. A padding tap gives +0.
float float_psum(const Layer& l, const ArchParams& a, int64_t k, int64_t p, int64_t j) {
  const quant::QTensor &w = *l.job.weights, &in = *l.job.input;
  const int64_t v = a.vector_size, nv = w.vectors_per_row, cg = l.job.shape.in_c / l.job.shape.groups;
  const Operand o = operand_of(l.job.shape, nv, k, p, j);
  if (!o.inside) return 0.0f;
  double dot = 0.0;
  for (int64_t c = o.i * v; c < std::min(cg, (o.i + 1) * v); ++c) {
    dot += double(quant::element_value(w.spec, w.codes[o.wrow * w.padded_cols() + c])) *
           double(quant::element_value(in.spec, in.codes[o.arow * in.padded_cols() + c]));
  }
  return float(dot * e8m0_value(w.vector_scale_codes[o.wrow * nv + o.i]) *
               e8m0_value(in.vector_scale_codes[o.arow * nv + o.i]));
}

// Fills every wave's partial sums [pe][step][lane] (psums with an integer scale unit, dots without one, psums_f
// with floating scales); idle collector entries and unused lanes stay 0. Step = (j - j0)·depth + d.
void fill_partial_sums(Layer& l, const ArchParams& a) {
  for (const WavePtr& wp : l.waves) {
    hw::Wave& w = *wp;
    const std::size_t n = w.tiles.size() * std::size_t(w.steps * a.lanes);
    if (a.float_scales) {
      w.psums_f.assign(n, 0.0f);
    } else if (a.has_scale_unit()) {
      w.psums.assign(n, 0);
    } else {
      w.dots.assign(n, 0);
    }
    for (std::size_t pe = 0; pe < w.tiles.size(); ++pe) {
      const hw::Tile& t = w.tiles[pe];
      for (int64_t step = 0; step < w.steps; ++step) {
        const int64_t d = step % w.depth, j = w.j0 + step / w.depth;
        if (d >= t.p_count) continue;
        for (int64_t lane = 0; lane < t.k_count; ++lane) {
          const std::size_t idx = (pe * w.steps + step) * a.lanes + lane;
          if (a.float_scales) {
            w.psums_f[idx] = float_psum(l, a, t.k0 + lane, t.p0 + d, j);
          } else if (a.has_scale_unit()) {
            w.psums[idx] = int_psum(l, a, t.k0 + lane, t.p0 + d, j);
          } else {
            w.dots[idx] = static_cast<int32_t>(int_psum(l, a, t.k0 + lane, t.p0 + d, j));
          }
        }
      }
    }
  }
}

// The accumulators of every output [p][k] over the whole reduction in step order (integer: saturating at
// acc_bits, counting clips; fp32: every partial sum added, padding taps' +0 included), kept in the layer, then
// the PPU's fp32 y = acc · scale + bias (ReLU): used to calibrate the output coarse scale the way the
// front-end does.
std::vector<float> staged_outputs(Layer& l, const ArchParams& a) {
  const hw::ConvShape& sh = l.job.shape;
  const int64_t steps = sh.taps() * l.job.weights->vectors_per_row;
  const int64_t hi = (int64_t{1} << (a.acc_bits - 1)) - 1, lo = -hi - 1;
  std::vector<float> y(sh.out_pixels() * sh.out_c);
  l.acc.assign(y.size(), 0);
  l.acc_f.assign(y.size(), 0.0f);
  for (int64_t p = 0; p < sh.out_pixels(); ++p) {
    for (int64_t k = 0; k < sh.out_c; ++k) {
      int64_t acc = 0;
      float acc_f = 0.0f;
      for (int64_t j = 0; j < steps; ++j) {
        if (a.float_scales) {
          acc_f += float_psum(l, a, k, p, j);
          continue;
        }
        const int64_t sum = acc + int_psum(l, a, k, p, j);
        acc = std::min(hi, std::max(lo, sum));
        l.saturations += acc != sum;
      }
      l.acc[p * sh.out_c + k] = acc;
      l.acc_f[p * sh.out_c + k] = acc_f;
      const float scale = std::ldexp(l.job.weights->coarse_of_row(k * sh.taps()) * l.job.input->coarse_of_row(0),
                                     a.float_scales || !a.has_scale_unit() ? 0 : 2);
      float v = (a.float_scales ? acc_f : float(acc)) * scale + (*l.job.bias)[k];
      if (l.job.relu && v < 0.0f) v = 0.0f;
      y[p * sh.out_c + k] = v;
    }
  }
  return y;
}

// A layer with seeded operands in the given formats, planned for `a`, with partial sums filled and the output
// coarse scale calibrated on the exact outputs (formats with a coarse level).
void add_layer(std::deque<Layer>& layers, const ArchParams& a, const hw::ConvShape& sh, const quant::QuantSpec& ws,
               const quant::QuantSpec& as, const quant::QuantSpec& out, bool relu, uint32_t seed) {
  Layer& l = layers.emplace_back();
  std::mt19937 rng(seed);
  const std::vector<float> w = normal_values(std::size_t(sh.out_c * sh.taps() * sh.group_in_c()), 1.0f, rng);
  const std::vector<float> x = normal_values(std::size_t(sh.in_h * sh.in_w * sh.in_c), 1.0f, rng);
  l.weights = quant::quantize(w.data(), sh.weight_matrix(), ws);
  l.input = quant::quantize(x.data(), sh.input_matrix(), as);
  l.bias = normal_values(std::size_t(sh.out_c), 0.5f, rng);
  l.job.name = "layer" + std::to_string(layers.size() - 1);
  l.job.shape = sh;
  l.job.relu = relu;
  l.job.weights = &l.weights;
  l.job.input = &l.input;
  l.job.bias = &l.bias;
  l.job.output = {out, 1.0f};
  const std::vector<float> y = staged_outputs(l, a);
  const std::vector<float> coarse =
      quant::calibrate_coarse_scales(y.data(), {sh.out_pixels(), sh.out_c, sh.out_pixels()}, out);
  if (!coarse.empty()) l.job.output.coarse_scale = coarse[0];
  l.waves = hw::plan_waves(l.job, layers.size() - 1, a, hw::plan_tiling(l.job, a));
  fill_partial_sums(l, a);
  l.reference = hw::reference_layer(l.job, a);
}

// ---------------------------------------------------------------------------------------------------------
// Testbench

// A random stall: 0..max cycles, plus, with probability 1/long_every (when > 0), 0..long_max more.
struct Stall {
  int max = 0, long_every = 0, long_max = 0;
};

struct Stalls {
  Stall gap;       // driver: before each wave (long ones starve the collector)
  Stall latency;   // driver: the wave's first partial sum arrives this long after it is sent
  Stall hold;      // write sink: before it takes the next write (long ones fill the PPU's staging buffers)
};

struct Freed {
  int bank = -1;
  int64_t cycle = 0;
  bool operator==(const Freed& o) const { return bank == o.bank && cycle == o.cycle; }
};
std::ostream& operator<<(std::ostream& os, const Freed& f) { return os << "bank " << f.bank << " at " << f.cycle; }

// A copy of a collector bank as the collector handed it to the PPU: [pe][entry][lane].
struct BankCopy {
  WavePtr wave;
  std::vector<int64_t> sums;
  std::vector<float> sums_f;
};

struct Taken {
  hw::OutputWrite write;
  int64_t cycle = 0;
};

// Driver → collector → PPU → write sink; the PPU's free banks go through a relay back to the driver.
class CollectorPpuBench : public sc_core::sc_module {
 public:
  CollectorPpuBench(sc_core::sc_module_name name, const ArchParams& arch, std::vector<WavePtr> waves,
                    std::size_t layers, uint32_t seed, const Stalls& stalls)
      : sc_module(name), arch(arch), waves(std::move(waves)), results(layers), period(hw::clock_period(arch.clock_mhz)),
        stalls_(stalls), driver_rng_(seed), sink_rng_(seed + 1),
        psums_f_("psums_f", arch.collector_banks + 1), sums_f_("sums_f", arch.collector_banks + 1),
        tapped_f_("tapped_f", arch.collector_banks + 1),
        ppu_free_f_("ppu_free_f", arch.collector_banks), banks_f_("banks_f", int(this->waves.size()) + arch.collector_banks),
        writes_f_("writes_f", 2), collector_("collector", arch, counters), ppu_("ppu", arch, results, counters) {
    collector_.psums_in(psums_f_);
    collector_.sums_out(sums_f_);
    ppu_.sums_in(tapped_f_);
    ppu_.free_bank_out(ppu_free_f_);
    ppu_.write_out(writes_f_);
    SC_HAS_PROCESS(CollectorPpuBench);
    SC_THREAD(drive);
    SC_THREAD(tap);
    SC_THREAD(relay);
    SC_THREAD(sink);
  }

  const ArchParams& arch;
  const std::vector<WavePtr> waves;
  std::vector<hw::LayerResult> results;  // filled by the PPU
  const sc_time period;
  hw::Counters counters;  // declared before the blocks that register into it

  // Recorded (cycles), replayed by the model.
  std::vector<int> gap, latency, hold;
  std::vector<int64_t> wrote, ready_in;  // wave written into the collector's fifo; its ready_at as sent
  std::vector<Freed> freed;              // banks the PPU handed back (the initial ones first)
  std::vector<Taken> taken;              // writes the sink took
  std::vector<BankCopy> banks;           // every bank handed to the PPU, copied on the way
  std::vector<std::string> errors;

 private:
  int64_t now() {
    const sc_time t = sc_core::sc_time_stamp();
    if (t.value() % period.value() != 0) errors.push_back("event off the cycle grid at " + t.to_string());
    return int64_t(t.value() / period.value());
  }
  static int draw(std::mt19937& rng, const Stall& s) {
    int c = std::uniform_int_distribution<int>(0, s.max)(rng);
    if (s.long_every > 0 && std::uniform_int_distribution<int>(0, s.long_every - 1)(rng) == 0) {
      c += std::uniform_int_distribution<int>(0, s.long_max)(rng);
    }
    return c;
  }

  void drive() {
    int bank = -1;
    for (const WavePtr& w : waves) {
      gap.push_back(draw(driver_rng_, stalls_.gap));
      wait(double(gap.back()) * period);
      if (w->first_pass) banks_f_.read(bank);
      w->bank = bank;
      latency.push_back(draw(driver_rng_, stalls_.latency));
      w->ready_at = sc_core::sc_time_stamp() + double(latency.back()) * period;
      ready_in.push_back(now() + latency.back());
      psums_f_.write(w);
      wrote.push_back(now());
    }
  }

  void relay() {
    while (true) {
      int b = -1;
      ppu_free_f_.read(b);
      freed.push_back({b, now()});
      banks_f_.write(b);
    }
  }

  // Between the collector and the PPU: copies the bank a last pass hands over and passes the wave on in the
  // same cycle. Its two fifos never fill (at most `collector_banks` tile sets sit between the collector and
  // the PPU's bank release), so it changes no timing.
  void tap() {
    const std::size_t size = std::size_t(arch.pes) * arch.lanes * arch.collector_depth;
    while (true) {
      WavePtr w = sums_f_.read();
      BankCopy c{w, {}, {}};
      if (w->sums) c.sums.assign(w->sums, w->sums + size);
      if (w->sums_f) c.sums_f.assign(w->sums_f, w->sums_f + size);
      banks.push_back(std::move(c));
      const int64_t at = now();
      tapped_f_.write(std::move(w));
      if (now() != at) errors.push_back("the tap delayed a bank");
    }
  }

  void sink() {
    while (true) {
      hold.push_back(draw(sink_rng_, stalls_.hold));
      wait(double(hold.back()) * period);
      const hw::OutputWrite w = writes_f_.read();
      taken.push_back({w, now()});
    }
  }

  Stalls stalls_;
  std::mt19937 driver_rng_, sink_rng_;
  sc_core::sc_fifo<WavePtr> psums_f_, sums_f_, tapped_f_;
  sc_core::sc_fifo<int> ppu_free_f_, banks_f_;
  sc_core::sc_fifo<hw::OutputWrite> writes_f_;
  hw::AccumulationCollector collector_;
  hw::Ppu ppu_;
};

uint64_t counter(const hw::Counters& c, const std::string& name) {
  for (std::size_t i = 0; i < c.decls().size(); ++i) {
    if (c.decls()[i].name == name) return c.values()[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

uint32_t float_bits(float f) {
  uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

int64_t cycles_of(const sc_time& t, const sc_time& period) {
  REQUIRE(t.value() % period.value() == 0);
  return int64_t(t.value() / period.value());
}

std::vector<WavePtr> all_waves(const std::deque<Layer>& layers) {
  std::vector<WavePtr> waves;
  for (const Layer& l : layers) waves.insert(waves.end(), l.waves.begin(), l.waves.end());
  return waves;
}

// ---------------------------------------------------------------------------------------------------------
// Closed-form timing model

struct Model {
  std::vector<int> bank;                                 // per wave
  std::vector<int64_t> wrote, ready_in, collector_ready; // per wave
  std::vector<Freed> freed;                    // initial banks, then one per tile set
  std::vector<int64_t> write_taken;            // per tile set: the sink took its write
  // Coverage (documents what the seeds exercised).
  int bank_waits = 0;         // the driver waited for a bank
  int collector_waits = 0;    // the collector waited for a wave's first partial sum
  int collector_queued = 0;   // a wave waited for the collector to finish the previous pass
  int ppu_blocked = 0;        // the PPU waited for room in its output staging buffers
};

// ⌈outputs of the busiest PE / ppu_outputs_per_cycle⌉
int64_t ppu_busy(const hw::Wave& w, const ArchParams& a) {
  int64_t busiest = 0;
  for (const hw::Tile& t : w.tiles) busiest = std::max(busiest, t.k_count * t.p_count);
  return (busiest + a.ppu_outputs_per_cycle - 1) / a.ppu_outputs_per_cycle;
}

Model replay(const CollectorPpuBench& b) {
  const ArchParams& a = b.arch;
  const std::size_t n = b.waves.size(), q = std::size_t(a.collector_banks) + 1, s = q;  // fifo depths as in Dla
  Model md;
  md.bank.assign(n, -1);
  md.wrote.assign(n, 0);
  md.ready_in.assign(n, 0);
  md.collector_ready.assign(n, 0);
  std::vector<int64_t> taken(n, 0), free_at(n, 0);            // collector took wave j; is free after it
  std::vector<int64_t> ppu_took, ppu_free;                    // per tile set
  std::vector<int> bank_queue;                                // banks in the order the driver gets them
  std::vector<int64_t> bank_ready;
  for (int i = 0; i < a.collector_banks; ++i) {
    md.freed.push_back({i, 0});
    bank_queue.push_back(i);
    bank_ready.push_back(0);
  }
  const auto prev = [](const std::vector<int64_t>& v, std::size_t j) { return j > 0 ? v[j - 1] : int64_t{0}; };
  std::size_t next_bank = 0;
  int bank = -1;
  for (std::size_t j = 0; j < n; ++j) {
    const hw::Wave& w = *b.waves[j];
    // Driver: gap, then (first pass) the next bank handed back, then `latency` to the first partial sum; its
    // write into the collector's fifo (depth banks + 1) completes once the collector took wave j - depth.
    int64_t t = prev(md.wrote, j) + b.gap[j];
    if (w.first_pass) {
      REQUIRE(next_bank < bank_queue.size());
      md.bank_waits += bank_ready[next_bank] > t;
      t = std::max(t, bank_ready[next_bank]);
      bank = bank_queue[next_bank++];
    }
    md.bank[j] = bank;
    const int64_t ready_in = md.ready_in[j] = t + b.latency[j];
    md.wrote[j] = std::max(t, j >= q ? taken[j - q] : int64_t{0});
    // Collector: takes the wave when done with the previous one, starts at its first partial sum, takes
    // issue_cycles, the bank complete collector_latency later; a last pass goes to the PPU (fifo depth
    // banks + 1) before the collector waits out the issue cycles.
    taken[j] = std::max(md.wrote[j], prev(free_at, j));
    md.collector_queued += prev(free_at, j) > md.wrote[j];
    md.collector_waits += ready_in > taken[j];
    const int64_t start = std::max(taken[j], ready_in);
    md.collector_ready[j] = start + w.issue_cycles + a.collector_latency_cycles;
    if (!w.last_pass) {
      free_at[j] = start + w.issue_cycles;
      continue;
    }
    const std::size_t m = ppu_took.size();  // tile set index
    const int64_t handed = std::max(start, m >= s ? ppu_took[m - s] : int64_t{0});
    free_at[j] = handed + w.issue_cycles;
    // PPU: takes the bank when its previous write is handed over, starts at the bank's ready_at, is busy
    // ⌈busiest / rate⌉ cycles, frees the bank, then (after ppu_latency for a layer's last) hands the write to
    // the staging buffers (depth 2: room once the sink took write m - 2).
    ppu_took.push_back(std::max(handed, prev(ppu_free, m)));
    const int64_t done = std::max(ppu_took[m], md.collector_ready[j]) + ppu_busy(w, a);
    md.freed.push_back({bank, done});
    bank_queue.push_back(bank);
    bank_ready.push_back(done);
    const int64_t out = done + (w.last_of_layer ? a.ppu_latency_cycles : 0);
    const int64_t room = m >= 2 ? md.write_taken[m - 2] : 0;
    md.ppu_blocked += room > out;
    ppu_free.push_back(std::max(out, room));
    const int64_t asked = (m > 0 ? md.write_taken[m - 1] : 0) + b.hold[m];
    md.write_taken.push_back(std::max(asked, ppu_free[m]));
  }
  return md;
}

// Bits the PPU writes for `pixels` pixels × channels [k0, k0 + count): N-bit codes plus, per pixel, one scale
// code for each output vector (V channels) that starts in the range.
uint64_t expected_output_bits(const quant::QuantSpec& s, int64_t pixels, int64_t k0, int64_t count) {
  uint64_t starts = 0;
  if (s.granularity == quant::Granularity::per_vector) {
    for (int64_t k = k0; k < k0 + count; ++k) starts += k % s.vector_size == 0;
  }
  return uint64_t(pixels * count) * s.bits() + uint64_t(pixels) * starts * s.vector_scale_storage_bits();
}

// Every check of the file's header on one finished run. Returns the model (coverage).
Model check_run(const CollectorPpuBench& b, const std::deque<Layer>& layers) {
  for (const std::string& e : b.errors) FAIL_CHECK(e);
  REQUIRE(b.wrote.size() == b.waves.size());
  const Model md = replay(b);

  // Values: bit-exact against the reference; saturations against the reference and this file's count.
  uint64_t saturations = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    INFO("layer " << l);
    const quant::QTensor& sim = b.results[l].output;
    const quant::QTensor& ref = layers[l].reference.output;
    REQUIRE_NOTHROW(hw::check_bit_exact(layers[l].job.name, sim, ref));
    CHECK(sim.codes == ref.codes);
    CHECK(sim.vector_scale_codes == ref.vector_scale_codes);
    CHECK(sim.coarse_scales == ref.coarse_scales);
    CHECK(layers[l].saturations == layers[l].reference.saturations);
    saturations += uint64_t(layers[l].reference.saturations);
  }
  CHECK(counter(b.counters, "pe.collector.saturations") == saturations);

  // Every accumulator of every bank handed to the PPU equals this file's accumulation (integers exactly, fp32
  // bit for bit), so the collector is checked directly, not only through the PPU's re-quantization.
  const ArchParams& a = b.arch;
  std::size_t checked = 0;
  for (const BankCopy& c : b.banks) {
    const hw::Wave& w = *c.wave;
    const Layer& l = layers[w.layer];
    const int64_t k_total = l.job.shape.out_c;
    for (std::size_t pe = 0; pe < w.tiles.size(); ++pe) {
      const hw::Tile& t = w.tiles[pe];
      for (int64_t lane = 0; lane < t.k_count; ++lane) {
        for (int64_t d = 0; d < t.p_count; ++d) {
          // Bank layout [pe][entry][lane] (hw/wave.hpp, Wave::sums).
          const std::size_t at = (pe * a.collector_depth + std::size_t(d)) * a.lanes + std::size_t(lane);
          const std::size_t out = std::size_t((t.p0 + d) * k_total + t.k0 + lane);
          INFO("layer " << w.layer << " pe " << pe << " channel " << t.k0 + lane << " pixel " << t.p0 + d);
          if (a.float_scales) {
            REQUIRE(c.sums_f.size() > at);
            INFO("fp32 accumulator " << c.sums_f[at] << ", expected " << l.acc_f[out]);
            REQUIRE(float_bits(c.sums_f[at]) == float_bits(l.acc_f[out]));
          } else {
            REQUIRE(c.sums.size() > at);
            REQUIRE(c.sums[at] == l.acc[out]);
          }
          ++checked;
        }
      }
    }
  }
  uint64_t outputs = 0;
  for (const Layer& l : layers) outputs += uint64_t(l.job.shape.out_pixels() * l.job.shape.out_c);
  CHECK(checked == outputs);  // every output's accumulator, once

  // Timing and banks, wave by wave.
  std::size_t m = 0;
  for (std::size_t j = 0; j < b.waves.size(); ++j) {
    const hw::Wave& w = *b.waves[j];
    INFO("wave " << j << " (layer " << w.layer << ", passes [" << w.j0 << ", " << w.j1 << "), issue " << w.issue_cycles
                 << ", first " << w.first_pass << ", last " << w.last_pass << "): model bank " << md.bank[j]
                 << ", wrote " << md.wrote[j] << ", collector ready " << md.collector_ready[j]);
    REQUIRE(w.bank == md.bank[j]);
    REQUIRE(b.ready_in[j] == md.ready_in[j]);  // the driver got its bank when the model says
    REQUIRE(b.wrote[j] == md.wrote[j]);
    REQUIRE(cycles_of(w.ready_at, b.period) == md.collector_ready[j]);
    if (!w.last_pass) continue;
    // The PPU's write of this tile set: when the sink took it, and what it carries.
    REQUIRE(m < b.taken.size());
    const Taken& t = b.taken[m];
    uint64_t bits = 0;
    for (const hw::Tile& tile : w.tiles) bits += expected_output_bits(w.job->output.spec, tile.p_count, tile.k0, tile.k_count);
    INFO("tile set " << m << ": model write taken " << md.write_taken[m]);
    CHECK(t.cycle == md.write_taken[m]);
    CHECK(t.write.layer == w.layer);
    CHECK(t.write.last_of_layer == w.last_of_layer);
    CHECK(t.write.bits == bits);
    ++m;
  }
  CHECK(b.taken.size() == m);
  CHECK(b.freed == md.freed);  // which bank came back, when, in order

  // Each layer's writes add up to its output tensor.
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const quant::QTensor& out = layers[l].reference.output;
    uint64_t sum = 0;
    for (const Taken& t : b.taken) sum += t.write.layer == l ? t.write.bits : 0;
    CHECK(sum == uint64_t(out.shape.rows * out.shape.cols) * out.spec.bits() +
                     uint64_t(out.shape.rows * out.vectors_per_row) * out.spec.vector_scale_storage_bits());
  }

  // Counters: one accumulator addition per busy lane-step; PPU work per output and per output vector.
  uint64_t adds = 0, scale_mul = 0, requant_mul = 0, add = 0, compare = 0, recip = 0;
  for (const WavePtr& w : b.waves) {
    for (const hw::Tile& t : w->tiles) adds += uint64_t(t.k_count * t.p_count * (w->j1 - w->j0));
  }
  for (const Layer& l : layers) {
    const quant::QTensor& out = l.reference.output;
    const uint64_t outputs = uint64_t(l.job.shape.out_pixels() * l.job.shape.out_c);
    const bool pv = out.spec.granularity == quant::Granularity::per_vector;
    const uint64_t vectors = pv ? uint64_t(out.shape.rows * out.vectors_per_row) : 0;
    scale_mul += outputs;                                     // y = acc · scale
    requant_mul += outputs /* y · (1/s) */ + vectors /* scale code */;
    add += outputs;                                           // + bias
    compare += (l.job.relu ? outputs : 0) + (pv ? outputs : 0);  // ReLU, vector max
    recip += vectors;                                         // 1 / vector max
  }
  CHECK(counter(b.counters, "pe.collector.acc_add") == adds);
  CHECK(counter(b.counters, "ppu.scale_mul") == scale_mul);
  CHECK(counter(b.counters, "ppu.requant_mul") == requant_mul);
  CHECK(counter(b.counters, "ppu.bias_add") == add);
  CHECK(counter(b.counters, "ppu.compare") == compare);
  CHECK(counter(b.counters, "ppu.recip") == recip);
  return md;
}

// The tiling facts every bench relies on: several passes per tile set, passes consecutive, one bank each.
void check_passes(const Layer& l, int64_t passes) {
  int64_t run = 0;
  for (const WavePtr& w : l.waves) {
    REQUIRE(w->first_pass == (run == 0));
    ++run;
    REQUIRE(w->last_pass == (run == passes));
    if (w->last_pass) run = 0;
  }
}

}  // namespace

TEST_CASE("collector+ppu module: INT4 two-level layers, 4 passes per tile set, 16-bit accumulators that saturate",
          "[module][collector][ppu]") {
  // VS-Quant 4/4/4/6 with the scale product rounded to 8 bits; two layers in one run (the PPU stages and
  // re-quantizes each separately): a 3×3 conv with ReLU and a grouped strided conv without.
  ArchParams a;
  a.clock_mhz = 500.0;
  a.pes = 2;
  a.lanes = 4;
  a.vector_size = 8;
  a.collector_depth = 5;
  a.collector_banks = 2;
  a.acc_bits = 16;
  a.weight_bits = a.act_bits = 4;
  a.weight_scale_bits = 4;
  a.act_scale_bits = 6;
  a.scale_product_bits = 8;
  a.collector_latency_cycles = 2;
  a.ppu_outputs_per_cycle = 3;
  a.ppu_latency_cycles = 5;
  a.weight_buffer_kib = 0.25;  // 8 rows per slot: 2 rows (8 vectors) per lane → passes of 8 steps
  REQUIRE(a.scale_product_shift() == 2);
  REQUIRE(a.scale_product_width() == 8);
  const quant::QuantSpec w4 = quant::int_spec(4, quant::Granularity::per_vector, 4, 8);
  const quant::QuantSpec a4 = quant::int_spec(4, quant::Granularity::per_vector, 6, 8);

  std::deque<Layer> layers;
  // 7×7×24 → 10, 3×3, pad 1: 27 steps in passes of 8, 8, 8, 3; channel blocks 4, 4, 2 × pixel blocks of 5
  // (49 = 9 × 5 + 4); output vectors of 8 channels: 8 + 2.
  add_layer(layers, a, {7, 7, 24, 10, 3, 3, 1, 1}, w4, a4, a4, true, 11);
  // 5×5×16 → 8 in 2 groups, 3×3, stride 2, pad 1: Cg = 8, 9 steps in passes of 8, 1; 9 output pixels in
  // blocks of 5 + 4: 2 groups × 2 pixel blocks = 4 tiles, 2 tile sets.
  add_layer(layers, a, {5, 5, 16, 8, 3, 3, 2, 1, 2}, w4, a4, a4, false, 12);
  check_passes(layers[0], 4);
  check_passes(layers[1], 2);
  REQUIRE(layers[0].waves.size() == 15 * 4);
  REQUIRE(layers[1].waves.size() == 2 * 2);

  Stalls st;
  st.gap = {12, 7, 250};
  st.latency = {6};
  st.hold = {400, 5, 800};  // slower than a tile set's 4 × 40 issue cycles: staging fills, banks come back late
  CollectorPpuBench bench("bench", a, all_waves(layers), layers.size(), 77u, st);
  dlasim::hw::simulate();

  const Model md = check_run(bench, layers);
  CHECK(layers[0].reference.saturations > 20);  // the narrow accumulators clip, and the order matters
  CHECK(layers[0].reference.saturations < 200);
  CHECK(md.bank_waits > 0);
  CHECK(md.ppu_blocked > 0);
  CHECK(md.collector_waits > 0);
  CHECK(md.collector_queued > 0);
}

TEST_CASE("collector+ppu module: INT8 per-channel layer through the collector without a scale unit (dots)",
          "[module][collector][ppu]") {
  // The 8-bit baseline: dot products go straight into 16-bit accumulators (they clip); output INT8 per tensor.
  ArchParams a;
  a.pes = 3;
  a.lanes = 4;
  a.vector_size = 16;
  a.collector_depth = 4;
  a.collector_banks = 3;
  a.acc_bits = 16;
  a.collector_latency_cycles = 1;
  a.ppu_outputs_per_cycle = 1;  // the PPU takes 16 cycles per wave: a bottleneck for short passes
  a.ppu_latency_cycles = 3;
  a.weight_buffer_kib = 0.5;    // 16 rows per slot: 4 vectors per lane → passes of 4 steps
  REQUIRE_FALSE(a.has_scale_unit());
  const quant::QuantSpec w8 = quant::int_spec(8, quant::Granularity::per_channel, 0, 16);
  const quant::QuantSpec a8 = quant::int_spec(8, quant::Granularity::per_tensor, 0, 16);

  std::deque<Layer> layers;
  // 6×6×40 → 9, 3×2 kernel, pad 1: Cg = 40 = 16 + 16 + 8 → 3 vectors, 18 steps in passes of 4 (5 passes).
  add_layer(layers, a, {6, 6, 40, 9, 3, 2, 1, 1}, w8, a8, a8, true, 21);
  check_passes(layers[0], 5);

  Stalls st;
  st.gap = {3, 9, 120};
  st.latency = {3};
  st.hold = {500};  // slower than a tile set's 5 × 16 issue cycles: staging fills, banks come back late
  CollectorPpuBench bench("bench", a, all_waves(layers), layers.size(), 88u, st);
  dlasim::hw::simulate();

  const Model md = check_run(bench, layers);
  CHECK(layers[0].reference.saturations > 0);
  CHECK(md.bank_waits > 0);
  CHECK(md.collector_queued > 0);
}

TEST_CASE("collector+ppu module: MXFP4 operands (V = 32, E8M0 scales) with fp32 accumulators and MXFP4 outputs",
          "[module][collector][ppu][float]") {
  // Floating scales: fp32 partial sums accumulated in fp32 in step order over 5 passes; the PPU re-quantizes
  // to MXFP4 (shared exponent per 32 channels, FP4 elements).
  const quant::QuantSpec mx = quant::parse_format("mxfp4");
  REQUIRE(mx.vector_size == 32);
  REQUIRE(mx.vector_scale == quant::VectorScale::e8m0);
  ArchParams a;
  a.pes = 2;
  a.lanes = 4;
  a.vector_size = 32;
  a.collector_depth = 4;
  a.collector_banks = 2;
  a.weight_bits = a.act_bits = 4;
  a.weight_scale_bits = a.act_scale_bits = 8;
  a.float_scales = true;
  a.collector_latency_cycles = 3;
  a.ppu_outputs_per_cycle = 2;
  a.ppu_latency_cycles = 6;
  a.weight_buffer_kib = 0.5;  // 16 rows of one FP4 vector each per slot: 4 per lane → passes of 4 steps
  REQUIRE(a.has_scale_unit());

  std::deque<Layer> layers;
  // 4×5×40 → 10, 3×3, pad 1: Cg = 40 = 32 + 8 → 2 vectors (one partial), 18 steps in passes of 4 (5 passes);
  // 20 output pixels; output vectors along 10 channels: one partial vector.
  add_layer(layers, a, {4, 5, 40, 10, 3, 3, 1, 1}, mx, mx, mx, false, 31);
  check_passes(layers[0], 5);

  Stalls st;
  st.gap = {8, 6, 200};
  st.latency = {4};
  st.hold = {600, 4, 600};  // slower than a tile set's 5 × 16 issue cycles: staging fills, banks come back late
  CollectorPpuBench bench("bench", a, all_waves(layers), layers.size(), 99u, st);
  dlasim::hw::simulate();

  const Model md = check_run(bench, layers);
  CHECK(counter(bench.counters, "pe.collector.saturations") == 0);  // fp32 accumulators do not saturate
  CHECK(md.bank_waits > 0);
  CHECK(md.ppu_blocked > 0);
  // The outputs are not degenerate: most element codes (padding columns aside) have a non-zero magnitude.
  const quant::QTensor& out = bench.results[0].output;
  int64_t nonzero = 0;
  for (int64_t r = 0; r < out.shape.rows; ++r) {
    for (int64_t c = 0; c < out.shape.cols; ++c) nonzero += (out.codes[r * out.padded_cols() + c] & 0x7) != 0;
  }
  CHECK(nonzero > out.shape.rows * out.shape.cols / 2);
}
