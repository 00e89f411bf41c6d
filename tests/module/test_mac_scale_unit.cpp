// Module testbench of the vector MAC lanes (hw::MacArray) and the per-vector scale unit (hw::ScaleUnit)
// against a computation written independently in this file (reference.md §2 bit-accurate model, §3 Eq. 2).
//
// The bench drives the waves the controller plans for one layer, with random stalls between waves, hands
// out accumulation-collector bank ids and recycles them a random number of cycles after the sink has taken
// a wave (standing in for the collector and PPU). After sc_start() the test recomputes every busy
// (wave, PE, step, lane) from the operand tensors with plain loops — step decoded in the order documented
// in hw/wave.hpp, input pixel from stride and padding (and the group's input slice), dot product, scale product rounded half up and
// saturated — and checks the timing against a closed-form model of the two pipelines.
//
// Each TEST_CASE elaborates one simulation and calls sc_start() once (ctest runs each in its own process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/layer.hpp"
#include "hw/pe/mac_array.hpp"
#include "hw/scale/scale_unit.hpp"
#include "hw/timing.hpp"
#include "hw/top/simulation.hpp"
#include "hw/wave.hpp"
#include "quant/qtensor.hpp"
#include "quant/quantize.hpp"

namespace {

using namespace dlasim;
using hw::ArchParams;
using hw::WavePtr;
using sc_core::sc_time;

// ---------------------------------------------------------------------------------------------------------
// Operands

// A layer's operands and job; fill() sets the job's pointers into this object, so it must not move after.
struct Problem {
  quant::QTensor weights, input;
  std::vector<float> bias;
  hw::LayerJob job;
  ArchParams arch;
  Problem() = default;
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;
};

// rows × cols normal values. With `spread`, each V-element vector of a row is multiplied by a random
// magnitude so the per-vector scale codes spread out (small factors make scale codes that round to 0;
// factor 0 makes an all-zero vector).
std::vector<float> random_matrix(int64_t rows, int64_t cols, int v, std::mt19937& rng, bool spread) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const float factors[] = {1.0f, 1.0f, 0.6f, 0.3f, 0.1f, 0.02f, 0.005f, 0.0f};
  std::uniform_int_distribution<int> pick(0, spread ? 7 : 0);
  std::vector<float> x(static_cast<std::size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c0 = 0; c0 < cols; c0 += v) {
      const float f = factors[pick(rng)];
      for (int64_t c = c0; c < std::min(cols, c0 + v); ++c) x[static_cast<std::size_t>(r * cols + c)] = f * normal(rng);
    }
  }
  return x;
}

void fill(Problem& pb, const hw::ConvShape& sh, const quant::QuantSpec& wspec, const quant::QuantSpec& aspec,
          uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t cg = sh.in_c / sh.groups;
  const int64_t wrows = sh.out_c * sh.kernel_h * sh.kernel_w, arows = sh.in_h * sh.in_w * sh.groups;
  const auto pv = [](const quant::QuantSpec& s) { return s.granularity == quant::Granularity::per_vector; };
  const std::vector<float> w = random_matrix(wrows, cg, wspec.vector_size, rng, pv(wspec));
  const std::vector<float> a = random_matrix(arows, cg, aspec.vector_size, rng, pv(aspec));
  // Weights [K][R][S][Cg]: one coarse scale per output channel (R·S rows); activations [H][W][C] as
  // H·W·G rows of Cg (one row per pixel and group): one coarse scale per tensor.
  pb.weights = quant::quantize(w.data(), {wrows, cg, sh.kernel_h * sh.kernel_w}, wspec);
  pb.input = quant::quantize(a.data(), {arows, cg, arows}, aspec);
  pb.bias.assign(static_cast<std::size_t>(sh.out_c), 0.0f);  // needed by the job struct; unused here
  pb.job.name = "conv";
  pb.job.shape = sh;
  pb.job.weights = &pb.weights;
  pb.job.input = &pb.input;
  pb.job.bias = &pb.bias;
  pb.job.output.spec = aspec;
  pb.job.output.coarse_scale = 1.0f;
}

// ---------------------------------------------------------------------------------------------------------
// Testbench

struct Release {
  int bank = -1;
  sc_time at;
};
std::ostream& operator<<(std::ostream& os, const Release& r) { return os << "bank " << r.bank << " at " << r.at; }

struct Stalls {
  int driver_max_cycles = 5;         // random stall 0..this between waves
  int driver_long_every = 0;         // when > 0: with probability 1/this, an extra long stall ...
  int driver_long_max_cycles = 0;    // ... of 0..this cycles that starves the MAC array
  int bank_hold_max_cycles = 0;      // a bank is recycled 0..this cycles after the sink took its wave
};

// MacArray (+ ScaleUnit when the arch has one) between a driver, a sink and a bank recycler.
class Bench : public sc_core::sc_module {
 public:
  Bench(sc_core::sc_module_name name, const ArchParams& arch, std::vector<WavePtr> waves, uint32_t seed,
        const Stalls& stalls)
      : sc_module(name),
        arch(arch),
        waves(std::move(waves)),
        period(hw::clock_period(arch.clock_mhz)),
        stalls_(stalls),
        driver_rng_(seed),
        sink_rng_(seed + 1),
        wave_f_("wave_f", 2),
        dots_f_("dots_f", arch.collector_banks + 1),
        psums_f_("psums_f", arch.collector_banks + 1),
        free_f_("free_f", arch.collector_banks),
        release_f_("release_f", static_cast<int>(this->waves.size()) + 1),
        slot_f_("slot_f", static_cast<int>(this->waves.size()) + 1),
        mac_("mac", arch, counters),
        scale_(arch.has_scale_unit() ? std::make_unique<hw::ScaleUnit>("scale", arch, counters) : nullptr) {
    mac_.wave_in(wave_f_);
    mac_.free_bank_in(free_f_);
    mac_.dots_out(dots_f_);
    mac_.slot_free_out(slot_f_);  // PE-buffer slots: operands are always ready here (no memory modelled)
    if (scale_) {
      scale_->dots_in(dots_f_);
      scale_->psums_out(psums_f_);
    }
    const std::size_t n = this->waves.size();
    written.resize(n);
    arrival.resize(n);
    ready.resize(n);
    bank.resize(n, -1);
    recycled.resize(n);
    SC_HAS_PROCESS(Bench);
    SC_THREAD(drive);
    SC_THREAD(sink);
    SC_THREAD(recycle);
  }

  const ArchParams& arch;
  const std::vector<WavePtr> waves;
  const sc_time period;
  hw::Counters counters;  // declared before the blocks that register into it

  // Recorded by the threads, checked by the test after sc_start().
  std::vector<sc_time> written;   // wave j entered the MAC array's input fifo
  std::vector<sc_time> arrival;   // wave j reached the sink
  std::vector<sc_time> ready;     // its ready_at annotation on arrival
  std::vector<int> bank;          // its bank id on arrival
  std::vector<sc_time> recycled;  // the j-th recycled bank id was written back to the free-bank fifo
  std::size_t received = 0;
  std::vector<std::string> errors;  // protocol violations seen inside the threads

 private:
  void drive() {
    for (int b = 0; b < arch.collector_banks; ++b) free_f_.write(b);  // all banks free at time 0
    std::uniform_int_distribution<int> stall(0, stalls_.driver_max_cycles);
    std::uniform_int_distribution<int> long_stall(0, std::max(0, stalls_.driver_long_max_cycles));
    std::uniform_int_distribution<int> coin(0, std::max(1, stalls_.driver_long_every) - 1);
    for (std::size_t j = 0; j < waves.size(); ++j) {
      int cycles = stall(driver_rng_);
      if (stalls_.driver_long_every > 0 && coin(driver_rng_) == 0) cycles += long_stall(driver_rng_);
      if (cycles > 0) wait(static_cast<double>(cycles) * period);
      wave_f_.write(waves[j]);
      written[j] = sc_core::sc_time_stamp();
    }
  }

  void sink() {
    sc_core::sc_fifo<WavePtr>& out = scale_ ? psums_f_ : dots_f_;
    std::uniform_int_distribution<int> hold(0, stalls_.bank_hold_max_cycles);
    for (std::size_t j = 0; j < waves.size(); ++j) {
      WavePtr w = out.read();
      const sc_time now = sc_core::sc_time_stamp();
      if (w != waves[j]) errors.push_back("wave " + std::to_string(j) + " arrived out of order");
      arrival[j] = now;
      ready[j] = w->ready_at;
      bank[j] = w->bank;
      // The brief's protocol checks, on the fly: a result is never annotated ready before it arrived, and
      // the block's initiation interval is one step per cycle.
      if (w->ready_at < now) {
        errors.push_back("wave " + std::to_string(j) + ": ready_at " + w->ready_at.to_string() +
                         " before its arrival at " + now.to_string());
      }
      if (j > 0 && ready[j] < ready[j - 1] + static_cast<double>(waves[j - 1]->steps) * period) {
        errors.push_back("wave " + std::to_string(j) + ": ready_at " + ready[j].to_string() + " less than " +
                         std::to_string(waves[j - 1]->steps) + " cycles after the previous wave's " +
                         ready[j - 1].to_string());
      }
      release_f_.write({w->bank, now + static_cast<double>(hold(sink_rng_)) * period});
      ++received;
    }
  }

  void recycle() {
    for (std::size_t j = 0; j < waves.size(); ++j) {
      const Release r = release_f_.read();
      hw::wait_until(r.at);
      free_f_.write(r.bank);
      recycled[j] = sc_core::sc_time_stamp();
    }
  }

  Stalls stalls_;
  std::mt19937 driver_rng_, sink_rng_;
  sc_core::sc_fifo<WavePtr> wave_f_, dots_f_, psums_f_;
  sc_core::sc_fifo<int> free_f_;
  sc_core::sc_fifo<Release> release_f_;
  sc_core::sc_fifo<int> slot_f_;
  hw::MacArray mac_;
  std::unique_ptr<hw::ScaleUnit> scale_;
};

uint64_t counter(const hw::Counters& c, const std::string& name) {
  for (std::size_t i = 0; i < c.decls().size(); ++i) {
    if (c.decls()[i].name == name) return c.values()[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

bool has_counter(const hw::Counters& c, const std::string& name) {
  return std::any_of(c.decls().begin(), c.decls().end(), [&](const hw::CounterDecl& d) { return d.name == name; });
}

int64_t cycles_of(const sc_time& t, const sc_time& period) { return static_cast<int64_t>(t.value() / period.value()); }

// ---------------------------------------------------------------------------------------------------------
// Independent computation

// Scale product of two unsigned scale codes rounded to the nearest multiple of 2^shift, ties up, then
// saturated at 2^width - 1 (written with a remainder test, not the hardware's add-and-shift).
int64_t rounded_scale_product(int64_t ws, int64_t as, int shift, int width) {
  const int64_t exact = ws * as;
  const int64_t unit = int64_t{1} << shift;
  int64_t q = exact / unit;
  const int64_t rem = exact % unit;
  if (shift > 0 && 2 * rem >= unit) ++q;
  const int64_t max = (int64_t{1} << width) - 1;
  return std::min(q, max);
}

struct Expected {
  int64_t dot = 0;
  int64_t psum = 0;
  bool inside = false;
  bool scale_saturated = false;
  bool scale_zero = false;  // both operands non-padding, scale product 0
};

// One busy lane-step, recomputed from the operand tensors. `shift`, `width` are the test's hand-derived
// constants (width 0: no scale unit); a tensor without per-vector scale codes contributes code 1.
Expected expect(const Problem& pb, const hw::Wave& w, const hw::Tile& t, int64_t step, int64_t lane, int shift,
                int width) {
  const hw::ConvShape& sh = pb.job.shape;
  const quant::QTensor& wt = pb.weights;
  const quant::QTensor& in = pb.input;
  const int64_t v = wt.spec.vector_size;
  const int64_t cg = sh.in_c / sh.groups;  // reduction length of one output channel
  const int64_t nv = (cg + v - 1) / v;
  // step = ((r·S + s)·nv + i)·depth + d (hw/wave.hpp: tap outer, vector i, collector entry d inner).
  const int64_t d = step % w.depth;
  const int64_t i = (step / w.depth) % nv;
  const int64_t tap = step / (w.depth * nv);
  const int64_t r = tap / sh.kernel_w, s = tap % sh.kernel_w;
  const int64_t k = t.k0 + lane, p = t.p0 + d;
  const int64_t out_w = (sh.in_w + 2 * sh.pad - sh.kernel_w) / sh.stride + 1;
  const int64_t oh = p / out_w, ow = p % out_w;
  const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
  Expected e;
  e.inside = ih >= 0 && ih < sh.in_h && iw >= 0 && iw < sh.in_w;
  if (!e.inside) return e;  // padding tap: zero input vector, zero dot, zero partial sum
  const int64_t g = k / (sh.out_c / sh.groups);                  // the output channel's group
  const int64_t wrow = (k * sh.kernel_h + r) * sh.kernel_w + s;  // weights [K][R][S][Cg]
  const int64_t arow = (ih * sh.in_w + iw) * sh.groups + g;      // input [H][W][G][Cg]: group g's slice
  for (int64_t c = i * v; c < std::min(cg, (i + 1) * v); ++c) {
    e.dot += int64_t{wt.row_codes(wrow)[c]} * int64_t{in.row_codes(arow)[c]};
  }
  if (width == 0) {  // no scale unit: the dot product is the partial sum
    e.psum = e.dot;
    return e;
  }
  const int64_t ws = wt.vector_scale_codes.empty() ? 1 : wt.vector_scale_codes[static_cast<std::size_t>(wrow * nv + i)];
  const int64_t as = in.vector_scale_codes.empty() ? 1 : in.vector_scale_codes[static_cast<std::size_t>(arow * nv + i)];
  const int64_t sp = rounded_scale_product(ws, as, shift, width);
  e.scale_saturated = rounded_scale_product(ws, as, shift, 62) > sp;
  e.scale_zero = sp == 0;
  e.psum = e.dot * sp;
  return e;
}

struct Coverage {
  int64_t busy = 0, padding = 0, nonzero_dots = 0, zero_scale_products = 0, saturated_scale_products = 0;
  int64_t idle_steps = 0, idle_lanes = 0;
};

// Checks wave.dots (and wave.psums when `with_scale`) of every wave against expect().
Coverage check_values(const Problem& pb, const std::vector<WavePtr>& waves, bool with_scale, int shift, int width) {
  const int lanes = pb.arch.lanes;
  Coverage cov;
  for (std::size_t j = 0; j < waves.size(); ++j) {
    const hw::Wave& w = *waves[j];
    const std::size_t n = w.tiles.size() * static_cast<std::size_t>(w.steps * lanes);
    REQUIRE(w.dots.size() == n);
    REQUIRE(w.psums.size() == (with_scale ? n : 0));
    for (std::size_t pe = 0; pe < w.tiles.size(); ++pe) {
      const hw::Tile& t = w.tiles[pe];
      for (int64_t step = 0; step < w.steps; ++step) {
        const bool busy_step = step % w.depth < t.p_count;
        for (int64_t l = 0; l < lanes; ++l) {
          const std::size_t idx = (pe * w.steps + step) * lanes + l;
          INFO("wave " << j << " pe " << pe << " tile k0 " << t.k0 << " k_count " << t.k_count << " p0 " << t.p0
                       << " p_count " << t.p_count << " step " << step << " lane " << l);
          if (!busy_step || l >= t.k_count) {
            // Idle collector entry of a shorter tile, or an unused lane: gated, outputs 0.
            REQUIRE(w.dots[idx] == 0);
            if (with_scale) REQUIRE(w.psums[idx] == 0);
            if (!busy_step) ++cov.idle_steps; else ++cov.idle_lanes;
            continue;
          }
          const Expected e = expect(pb, w, t, step, l, shift, width);
          REQUIRE(int64_t{w.dots[idx]} == e.dot);
          if (with_scale) REQUIRE(w.psums[idx] == e.psum);
          ++cov.busy;
          cov.padding += !e.inside;
          cov.nonzero_dots += e.dot != 0;
          cov.zero_scale_products += e.inside && e.scale_zero;
          cov.saturated_scale_products += e.inside && e.scale_saturated;
        }
      }
    }
  }
  return cov;
}

// Timing against a closed-form model built from the recorded inputs (wave written, bank recycled):
//   MAC start   m_j = max(written_j, m_{j-1} + steps_{j-1}, bank available_j)  (reads wave, then bank)
//   scale start c_j = max(m_j + mac_latency, c_{j-1} + steps_{j-1})           (II = 1 step per cycle)
//   arrival_j = c_j, ready_at_j = c_j + scale_latency   (MAC only: arrival m_j, ready m_j + mac_latency)
// Bank ids are handed out 0..B-1 first, then in recycling order (= wave order), so wave j ≥ B gets the
// bank of wave j - B once it is recycled. Returns the model's collector_full stall cycles.
int64_t check_timing(const Bench& b, bool with_scale) {
  const ArchParams& a = b.arch;
  const sc_time P = b.period;
  const std::size_t n = b.waves.size(), banks = static_cast<std::size_t>(a.collector_banks);
  REQUIRE(b.received == n);
  for (const std::string& e : b.errors) FAIL_CHECK(e);
  REQUIRE(b.errors.empty());
  sc_time m_prev, c_prev;
  int64_t stall_cycles = 0;
  for (std::size_t j = 0; j < n; ++j) {
    INFO("wave " << j);
    const int expected_bank = j < banks ? static_cast<int>(j) : b.bank[j - banks];
    REQUIRE(b.bank[j] == expected_bank);
    const sc_time bank_free = j < banks ? sc_core::SC_ZERO_TIME : b.recycled[j - banks];
    const sc_time mac_free = j == 0 ? sc_core::SC_ZERO_TIME
                                    : m_prev + static_cast<double>(b.waves[j - 1]->steps) * P;
    const sc_time wave_read = std::max(b.written[j], mac_free);
    const sc_time m = std::max(wave_read, bank_free);
    stall_cycles += cycles_of(m - wave_read, P);
    sc_time start = m, ready = m + a.mac_latency_cycles * P;
    if (with_scale) {
      const sc_time scale_free = j == 0 ? sc_core::SC_ZERO_TIME
                                        : c_prev + static_cast<double>(b.waves[j - 1]->steps) * P;
      start = std::max(m + a.mac_latency_cycles * P, scale_free);
      ready = start + a.scale_latency_cycles * P;
      c_prev = start;
    }
    m_prev = m;
    INFO("written " << cycles_of(b.written[j], P) << " bank free " << cycles_of(bank_free, P) << " model start "
                    << cycles_of(start, P) << " arrival " << cycles_of(b.arrival[j], P) << " ready_at "
                    << cycles_of(b.ready[j], P) << " (cycles)");
    REQUIRE(b.ready[j] >= b.arrival[j]);
    REQUIRE(b.arrival[j] == start);
    REQUIRE(b.ready[j] == ready);
  }
  return stall_cycles;
}

// Counter values the MAC array must report for the planned waves (every busy lane-step is one dot product,
// padding taps included; each lane loads a weight vector once per (tap, vector); each PE reads one input
// vector per busy step).
void check_mac_counters(const Bench& b, const Coverage& cov) {
  const ArchParams& a = b.arch;
  uint64_t dots = 0, wbits = 0, abits = 0;
  const uint64_t wvec = uint64_t(a.vector_size) * a.weight_bits + a.weight_scale_bits;
  const uint64_t avec = uint64_t(a.vector_size) * a.act_bits + a.act_scale_bits;
  for (const WavePtr& w : b.waves) {
    const int64_t tv = w->job->shape.taps() * w->job->weights->vectors_per_row;
    for (const hw::Tile& t : w->tiles) {
      dots += uint64_t(tv * t.k_count * t.p_count);
      wbits += uint64_t(tv * t.k_count) * wvec;
      abits += uint64_t(tv * t.p_count) * avec;
    }
  }
  CHECK(dots == uint64_t(cov.busy));
  CHECK(counter(b.counters, "pe.mac_lane.dot") == dots);
  CHECK(counter(b.counters, "pe.wbuf.read_bits") == wbits);
  CHECK(counter(b.counters, "pe.ibuf.read_bits") == abits);
}

}  // namespace

TEST_CASE("mac+scale module: per-vector INT4 conv with rounded scale product matches independent loops",
          "[module][mac][scale]") {
  // VS-Quant PVAW: N = 4, M_w = 4, M_a = 6, V = 8, scale product rounded from 10 to R = 8 bits.
  // Conv 7×7×20 → 10 channels, 3×3, stride 2, pad 1: output 4×4 = 16 pixels; C = 20 = 8 + 8 + 4, so the
  // last vector of every row is partial (3 vectors per row).
  Problem pb;
  fill(pb, hw::ConvShape{7, 7, 20, 10, 3, 3, 2, 1}, quant::int_spec(4, quant::Granularity::per_vector, 4, 8),
       quant::int_spec(4, quant::Granularity::per_vector, 6, 8), 20240611u);
  ArchParams& a = pb.arch;
  a.clock_mhz = 500.0;  // 2 ns period
  a.pes = 2;
  a.lanes = 4;
  a.vector_size = 8;
  a.collector_depth = 3;  // 16 pixels = 5 × 3 + 1: the last pixel block of each channel block holds 1 pixel
  a.collector_banks = 2;
  a.weight_bits = a.act_bits = 4;
  a.weight_scale_bits = 4;
  a.act_scale_bits = 6;
  a.scale_product_bits = 8;
  a.mac_latency_cycles = 3;
  a.scale_latency_cycles = 2;
  // Hand-derived: raw product 4 + 6 = 10 bits, rounded to 8 → drop 2 bits; width 8 (max 255).
  constexpr int kShift = 2, kWidth = 8;
  REQUIRE(a.scale_product_shift() == kShift);
  REQUIRE(a.scale_product_width() == kWidth);

  // Tiles: channel blocks of 4 lanes (4, 4, 2) × pixel blocks of 3 (3, 3, 3, 3, 3, 1) = 18 tiles, 9 waves of
  // 2 PEs; waves 2, 5, 8 pair a 3-pixel tile with a 1-pixel tile (idle collector entries), waves 6..8 use
  // 2 of 4 lanes. steps = 9 taps × 3 vectors × depth 3 = 81.
  const std::vector<WavePtr> waves = hw::plan_waves(pb.job, 0, a, hw::plan_tiling(pb.job, a));
  REQUIRE(waves.size() == 9);
  for (const WavePtr& w : waves) REQUIRE(w->steps == 81);

  Stalls st;
  st.driver_max_cycles = 5;
  st.driver_long_every = 3;        // now and then starve the MAC array
  st.driver_long_max_cycles = 150;
  st.bank_hold_max_cycles = 200;   // sometimes longer than two waves: the MAC array waits for a bank
  Bench bench("bench", a, waves, 7u, st);
  dlasim::hw::simulate();

  const int64_t stall_cycles = check_timing(bench, true);
  const Coverage cov = check_values(pb, waves, true, kShift, kWidth);
  check_mac_counters(bench, cov);
  CHECK(counter(bench.counters, "pe.scale_unit.scale_mul") == uint64_t(cov.busy));
  CHECK(counter(bench.counters, "pe.scale_unit.psum_mul") == uint64_t(cov.busy));
  CHECK(counter(bench.counters, "stall.collector_full") == uint64_t(stall_cycles));

  // The data exercised what it should (the seeds are fixed, so these document coverage, not luck).
  CHECK(cov.padding > 0);
  CHECK(cov.idle_steps > 0);
  CHECK(cov.idle_lanes > 0);
  CHECK(cov.zero_scale_products > 0);
  CHECK(stall_cycles > 0);
  CHECK(cov.nonzero_dots > cov.busy / 3);
}

TEST_CASE("mac+scale module: per-vector INT4 activations with per-channel weights saturate the 4-bit scale product",
          "[module][mac][scale]") {
  // VS-Quant PVAO: weights per-channel INT4 (scale code 1 in the unit), activations per-vector INT4 with
  // M_a = 6, scale product rounded from 6 to R = 4 bits: products of 62 and 63 round up to 16 and saturate.
  // Conv 5×5×20 → 12 channels, 3×3, stride 2, pad 1: output 3×3 = 9 pixels.
  Problem pb;
  fill(pb, hw::ConvShape{5, 5, 20, 12, 3, 3, 2, 1}, quant::int_spec(4, quant::Granularity::per_channel, 0, 8),
       quant::int_spec(4, quant::Granularity::per_vector, 6, 8), 99u);
  ArchParams& a = pb.arch;
  a.pes = 2;
  a.lanes = 4;
  a.vector_size = 8;
  a.collector_depth = 3;
  a.collector_banks = 2;
  a.weight_bits = a.act_bits = 4;
  a.weight_scale_bits = 0;
  a.act_scale_bits = 6;
  a.scale_product_bits = 4;
  constexpr int kShift = 2, kWidth = 4;  // 6 → 4 bits
  REQUIRE(a.scale_product_shift() == kShift);
  REQUIRE(a.scale_product_width() == kWidth);

  // 3 channel blocks × 3 pixel blocks = 9 tiles → 5 waves, the last one a single tile.
  const std::vector<WavePtr> waves = hw::plan_waves(pb.job, 0, a, hw::plan_tiling(pb.job, a));
  REQUIRE(waves.size() == 5);
  REQUIRE(waves.back()->tiles.size() == 1);

  Stalls st;
  st.driver_max_cycles = 5;
  st.bank_hold_max_cycles = 5;
  Bench bench("bench", a, waves, 3u, st);
  dlasim::hw::simulate();

  check_timing(bench, true);
  const Coverage cov = check_values(pb, waves, true, kShift, kWidth);
  check_mac_counters(bench, cov);
  CHECK(counter(bench.counters, "pe.scale_unit.scale_mul") == uint64_t(cov.busy));
  CHECK(cov.saturated_scale_products > 0);
  CHECK(cov.padding > 0);
}

TEST_CASE("mac+scale module: per-channel INT8 weights and per-tensor INT8 activations through the MAC lanes only",
          "[module][mac]") {
  // Baseline 8/8/-/-: no scale unit; the MAC lanes' dot products go straight to the collector.
  // Conv 6×5×20 → 7 channels, 3×2 kernel, stride 1, pad 1: output 6×6 = 36 pixels; V = 16 → 2 vectors
  // per row (16 + 4).
  Problem pb;
  fill(pb, hw::ConvShape{6, 5, 20, 7, 3, 2, 1, 1}, quant::int_spec(8, quant::Granularity::per_channel, 0, 16),
       quant::int_spec(8, quant::Granularity::per_tensor, 0, 16), 4242u);
  ArchParams& a = pb.arch;
  a.pes = 3;
  a.lanes = 4;
  a.vector_size = 16;
  a.collector_depth = 5;  // 36 = 7 × 5 + 1
  a.collector_banks = 2;
  a.weight_bits = a.act_bits = 8;
  a.weight_scale_bits = a.act_scale_bits = 0;
  REQUIRE_FALSE(a.has_scale_unit());

  // Channel blocks (4, 3) × pixel blocks (5 × 7, 1) = 16 tiles → 6 waves of ≤ 3 PEs.
  const std::vector<WavePtr> waves = hw::plan_waves(pb.job, 0, a, hw::plan_tiling(pb.job, a));
  REQUIRE(waves.size() == 6);

  Stalls st;
  st.driver_max_cycles = 5;
  st.driver_long_every = 2;
  st.driver_long_max_cycles = 60;
  st.bank_hold_max_cycles = 100;
  Bench bench("bench", a, waves, 11u, st);
  dlasim::hw::simulate();

  check_timing(bench, false);
  const Coverage cov = check_values(pb, waves, false, 0, 0);
  check_mac_counters(bench, cov);
  for (const WavePtr& w : waves) {
    CHECK(w->weight_scale.empty());  // no scale codes travel without a scale unit
    CHECK(w->act_scale.empty());
  }
  CHECK_FALSE(has_counter(bench.counters, "pe.scale_unit.scale_mul"));
  CHECK(cov.padding > 0);
  CHECK(cov.nonzero_dots > cov.busy / 2);
  CHECK(cov.idle_steps > 0);
  CHECK(cov.idle_lanes > 0);
}

TEST_CASE("mac+scale module: grouped conv (G = 4, Cg = 6 < V = 8, Kg = 3 < lanes) matches independent loops",
          "[module][mac][scale][groups]") {
  // Conv 6×6×24 → 12 channels in 4 groups, 3×3, stride 1, pad 1: output 36 pixels. Each output channel
  // reduces over its group's 6 input channels: one partial vector per row (6 of 8 elements).
  Problem pb;
  fill(pb, hw::ConvShape{6, 6, 24, 12, 3, 3, 1, 1, 4}, quant::int_spec(4, quant::Granularity::per_vector, 4, 8),
       quant::int_spec(4, quant::Granularity::per_vector, 6, 8), 31u);
  ArchParams& a = pb.arch;
  a.pes = 2;
  a.lanes = 4;
  a.vector_size = 8;
  a.collector_depth = 5;  // 36 = 7 × 5 + 1
  a.collector_banks = 2;
  a.weight_bits = a.act_bits = 4;
  a.weight_scale_bits = 4;
  a.act_scale_bits = 6;
  a.scale_product_bits = 8;
  constexpr int kShift = 2, kWidth = 8;

  // A channel block never crosses a group: 4 groups × 1 block of 3 channels × 8 pixel blocks = 32 tiles,
  // 16 waves of 2 PEs; steps = 9 taps × 1 vector × depth 5 = 45.
  const std::vector<WavePtr> waves = hw::plan_waves(pb.job, 0, a, hw::plan_tiling(pb.job, a));
  REQUIRE(waves.size() == 16);
  for (const WavePtr& w : waves) {
    REQUIRE(w->steps == 45);
    for (const hw::Tile& t : w->tiles) {
      REQUIRE(t.k_count == 3);
      REQUIRE(t.k0 % 3 == 0);
    }
  }

  Stalls st;
  st.driver_max_cycles = 5;
  st.driver_long_every = 3;
  st.driver_long_max_cycles = 80;
  st.bank_hold_max_cycles = 100;
  Bench bench("bench", a, waves, 17u, st);
  dlasim::hw::simulate();

  const int64_t stall_cycles = check_timing(bench, true);
  const Coverage cov = check_values(pb, waves, true, kShift, kWidth);
  check_mac_counters(bench, cov);
  CHECK(counter(bench.counters, "pe.scale_unit.scale_mul") == uint64_t(cov.busy));
  CHECK(counter(bench.counters, "stall.collector_full") == uint64_t(stall_cycles));
  CHECK(cov.padding > 0);
  CHECK(cov.idle_lanes > 0);  // lane 3 of every PE
  CHECK(cov.idle_steps > 0);
  CHECK(cov.nonzero_dots > cov.busy / 3);
}

TEST_CASE("mac+scale module: depthwise conv (G = C = K = 10) with INT8 operands through the MAC lanes only",
          "[module][mac][groups]") {
  // Depthwise 7×7×10, 3×3, stride 2, pad 1: output 4×4 = 16 pixels; each output channel reads one input
  // channel, so a dot product has 1 useful element of V = 16 and a tile uses one lane.
  Problem pb;
  fill(pb, hw::ConvShape{7, 7, 10, 10, 3, 3, 2, 1, 10}, quant::int_spec(8, quant::Granularity::per_channel, 0, 16),
       quant::int_spec(8, quant::Granularity::per_tensor, 0, 16), 57u);
  ArchParams& a = pb.arch;
  a.pes = 3;
  a.lanes = 4;
  a.vector_size = 16;
  a.collector_depth = 4;
  a.collector_banks = 2;
  a.weight_bits = a.act_bits = 8;
  a.weight_scale_bits = a.act_scale_bits = 0;
  REQUIRE_FALSE(a.has_scale_unit());

  // 10 channels × 4 pixel blocks = 40 one-lane tiles → 14 waves (13 × 3 + 1); steps = 9 × 1 × 4 = 36.
  const std::vector<WavePtr> waves = hw::plan_waves(pb.job, 0, a, hw::plan_tiling(pb.job, a));
  REQUIRE(waves.size() == 14);
  REQUIRE(waves.back()->tiles.size() == 1);
  for (const WavePtr& w : waves) REQUIRE(w->steps == 36);

  Stalls st;
  st.driver_max_cycles = 4;
  st.bank_hold_max_cycles = 60;
  Bench bench("bench", a, waves, 23u, st);
  dlasim::hw::simulate();

  check_timing(bench, false);
  const Coverage cov = check_values(pb, waves, false, 0, 0);
  check_mac_counters(bench, cov);
  CHECK(cov.busy == 10 * 16 * 9);  // one dot product per channel, pixel and tap
  CHECK(cov.padding > 0);
  CHECK(cov.nonzero_dots > cov.busy / 2);
}
