#include "sim/bench/bench.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "quant/format.hpp"
#include "quant/quantize.hpp"
#include "sim/config/load.hpp"
#include "sim/input_error.hpp"
#include "sim/run.hpp"
#include "sim/workload/synthetic.hpp"

namespace dlasim::sim {

namespace {

constexpr int64_t kBenchCols = 256;  // reduction length of the benchmark matrix (a typical in_c·k)

// Median wall time in seconds of `repeat` calls of f.
template <class F>
double median_seconds(int repeat, F f) {
  std::vector<double> t;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int bench_quant(const BenchArgs& a, std::ostream& out) {
  const int64_t rows = std::max<int64_t>(1, a.elements / kBenchCols);
  const quant::MatrixShape shape{rows, kBenchCols, 1};  // one output channel per row
  Rng rng(stream_seed(2021, 0, 0));
  const std::vector<float> x = sample(rng, "laplace", 0.0, 0.05, rows * kBenchCols);
  const std::vector<std::string> formats =
      a.formats.empty() ? std::vector<std::string>{"int4-v16-s4", "int4-pc", "int8-pc", "int4-v16", "int4-v16-s4-td",
                                                   "mxint8", "mxfp8_e4m3", "mxfp4", "nvfp4"}
                        : a.formats;
  out << fmt::format("quantize {} x {} = {:.1f} M Laplace floats, one thread, median of {}\n", rows, kBenchCols,
                     static_cast<double>(rows * kBenchCols) / 1e6, a.repeat);
  out << fmt::format("{:<18} {:>10} {:>14}\n", "format", "seconds", "M floats/s");
  for (const std::string& name : formats) {
    quant::QuantSpec spec;
    try {
      spec = quant::parse_format(name);
    } catch (const std::invalid_argument& e) {
      throw InputError(e.what());
    }
    int64_t sink = 0;
    const double s = median_seconds(a.repeat, [&] { sink += quant::quantize(x.data(), shape, spec).codes[0]; });
    out << fmt::format("{:<18} {:>10.3f} {:>14.1f}\n", name, s, static_cast<double>(rows * kBenchCols) / s / 1e6);
    (void)sink;
  }
  return 0;
}

// One full run (design and baseline DLAs, every output checked) with the time of each phase; with
// --design-only the design alone: its SystemC simulation against its plain reference (design.md §3 speed
// targets). SystemC elaborates once per process, so the two are separate invocations.
int bench_run(const BenchArgs& a, std::ostream& out) {
  const Config config = load_config(a.config, {});
  RunOptions options;
  options.with_baseline = !a.design_only;
  options.reference_path = a.exact_reference ? hw::ReferencePath::exact : hw::ReferencePath::fastest;
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_workload(config, options);
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double simulated_macs = static_cast<double>(r.design.macs + (a.design_only ? 0 : r.baseline.macs));
  const RunTiming& t = r.timing;
  const std::string which = a.design_only ? "design" : "both designs";
  out << fmt::format("{}: {} layers, {:.3f} G MACs per design; {}\n", a.config, r.design.layers.size(),
                     static_cast<double>(r.design.macs) / 1e9,
                     a.design_only ? "design " + r.design.label + " alone"
                                   : "design " + r.design.label + " and baseline " + r.baseline.label +
                                         " simulated in one process");
  out << fmt::format("{:<44} {:>9.3f} s\n", "generate operands + float reference layers", t.generate_s);
  out << fmt::format("{:<44} {:>9.3f} s\n", "quantize operands (" + which + ")", t.quantize_s);
  out << fmt::format("{:<44} {:>9.3f} s   {:.2f} G simulated MACs/s\n", "SystemC simulation (" + which + ")",
                     t.simulate_s, simulated_macs / t.simulate_s / 1e9);
  out << fmt::format("{:<44} {:>9.3f} s   simulation / reference = {:.2f}\n",
                     a.exact_reference ? "reference (exact loop) + checks + statistics"
                                       : "reference + bit-exact checks + statistics",
                     t.check_s, t.simulate_s / t.check_s);
  out << fmt::format("{:<44} {:>9.3f} s\n", "simulated and checked", t.simulate_s + t.check_s);
  out << fmt::format("{:<44} {:>9.3f} s   design {} cycles{}\n", "total", total, r.design.cycles,
                     a.design_only ? "" : fmt::format(", baseline {} cycles", r.baseline.cycles));
  return 0;
}

}  // namespace

int run_bench(const BenchArgs& a, std::ostream& out) {
  if (a.repeat < 1) throw InputError("--repeat must be >= 1");
  if (a.elements < 1) throw InputError("--elements must be >= 1");
  if (a.name == "quant") return bench_quant(a, out);
  if (a.name == "run") return bench_run(a, out);
  throw InputError("unknown benchmark '" + a.name + "' (expected: quant, run)");
}

}  // namespace dlasim::sim
