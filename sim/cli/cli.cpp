#include "sim/cli/cli.hpp"

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/config/load.hpp"
#include "sim/bench/bench.hpp"
#include "sim/energy/tech.hpp"
#include "sim/validation/keller5nm.hpp"
#include "sim/cli/quant_cmd.hpp"
#include "sim/config/params.hpp"
#include "sim/input_error.hpp"
#include "sim/report/energy_tables.hpp"
#include "sim/report/report.hpp"
#include "sim/eval/evaluate.hpp"
#include "sim/run.hpp"
#include "sim/sweep/shared_baseline.hpp"
#include "sim/sweep/sweep_run.hpp"

namespace dlasim::sim {

namespace {

struct RunArgs {
  std::string config = "configs/default.yaml";
  std::vector<std::string> sets;
  std::string out;
  bool quiet = false;
  std::string vcd;
  std::string vcd_window;  // FIRST:LAST
  bool vcd_given = false, vcd_window_given = false;
  std::string operand_cache;
};

// A decimal unsigned 64-bit integer, digits only.
bool parse_cycle(const std::string& s, uint64_t& value) {
  if (s.empty() || s.size() > 20) return false;
  value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  return true;
}

// The waveform options of `dlasim run`; throws InputError naming the option for a malformed or empty
// window, FIRST > LAST, --vcd-window without --vcd, and a --vcd path whose directory does not exist or that
// names a directory (a path that still cannot be written fails when the VCD is written, after the run).
RunOptions run_options(const RunArgs& a) {
  RunOptions o;
  o.operand_cache = a.operand_cache;
  if (a.vcd_window_given && !a.vcd_given) {
    throw InputError("--vcd-window " + a.vcd_window + " needs --vcd FILE (the window selects the cycles written "
                     "to that file)");
  }
  if (!a.vcd_given) return o;
  if (a.vcd.empty()) throw InputError("--vcd: expected a file path, got an empty string");
  const std::filesystem::path path(a.vcd);
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (std::filesystem::is_directory(path)) throw InputError("--vcd " + a.vcd + ": is a directory, expected a file");
  if (!std::filesystem::is_directory(dir)) {
    throw InputError("--vcd " + a.vcd + ": " + dir.string() + " is not an existing directory");
  }
  o.vcd_path = a.vcd;
  if (!a.vcd_window_given) return o;
  const std::size_t colon = a.vcd_window.find(':');
  if (colon == std::string::npos || !parse_cycle(a.vcd_window.substr(0, colon), o.vcd_first_cycle) ||
      !parse_cycle(a.vcd_window.substr(colon + 1), o.vcd_last_cycle)) {
    throw InputError("--vcd-window '" + a.vcd_window + "': expected FIRST:LAST, two unsigned integers (cycles from "
                     "time 0, below 2^64) separated by ':', e.g. 0:9999");
  }
  if (o.vcd_first_cycle > o.vcd_last_cycle) {
    throw InputError("--vcd-window " + a.vcd_window + ": first cycle " + std::to_string(o.vcd_first_cycle) +
                     " is after last cycle " + std::to_string(o.vcd_last_cycle));
  }
  return o;
}

int do_run(const RunArgs& a) {
  const RunOptions options = run_options(a);
  const Config config = load_config(a.config, a.sets);
  RunResult result = run_workload(config, options);
  result.out_dir = a.out.empty() ? "out/" + config.run.name : a.out;
  write_outputs(result.out_dir, result, config);
  if (!a.quiet) {
    print_report(std::cout, result, config);
    if (!options.vcd_path.empty()) {
      std::cout << fmt::format("waveform: {} (cycles {}..{} of the {} simulated; scopes design, baseline)\n",
                               options.vcd_path, options.vcd_first_cycle, options.vcd_last_cycle,
                               result.simulated_cycles);
    }
  }
  return kExitOk;
}

struct ExportArgs {
  std::string config = "configs/default.yaml";
  std::vector<std::string> sets;
  std::string out;
};

int do_export(const ExportArgs& a) {
  const Config config = load_config(a.config, a.sets);
  const std::string dir = a.out.empty() ? "out/" + config.run.name : a.out;
  for (const std::string& path : export_energy_tables(config, dir)) std::cout << "wrote " << path << "\n";
  return kExitOk;
}

struct EvalArgs {
  std::string config = "configs/default.yaml";
  std::vector<std::string> sets;
  std::string model, data = "fashion-mnist", data_dir, out;
  int64_t limit = -1, simulate = -1, calib = -1;
  bool quiet = false;
};

// `dlasim eval`: the options are shorthands for eval.* keys, applied after the --set overrides.
int do_eval(EvalArgs a) {
  if (a.limit >= 0) a.sets.push_back(fmt::format("eval.limit={}", a.limit));
  if (a.simulate >= 0) a.sets.push_back(fmt::format("eval.simulate={}", a.simulate));
  if (a.calib >= 0) a.sets.push_back(fmt::format("eval.calib_images={}", a.calib));
  if (!a.data_dir.empty()) {
    a.sets.push_back("eval.data_dir=" + std::filesystem::absolute(a.data_dir).lexically_normal().string());
  }
  const Config config = load_config(a.config, a.sets);
  EvalOptions options;
  options.model = a.model;
  options.dataset = a.data;
  const EvalResult result = evaluate_model(config, options);
  const std::string dir = a.out.empty() ? "out/" + config.run.name : a.out;
  write_eval(result, config, dir);
  if (!a.quiet) std::cout << format_eval(result) << "results: " << dir << "/eval.json, " << dir << "/layers.csv\n";
  return kExitOk;
}

// `dlasim config --explain KEY`; an unknown key is a config error (exit 2) with a suggestion when one is close.
int explain_config_key(const std::string& key, std::ostream& out) {
  const auto text = explain_param(key);
  if (!text) {
    const std::string best = closest_param(key);
    throw ConfigError({fmt::format("--explain {}: unknown key{}", key,
                                   best.empty() ? "" : fmt::format(" (did you mean {}?)", best))});
  }
  out << *text;
  return kExitOk;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"dlasim: cycle-accurate simulator of low-precision DLAs with per-vector scaling"};
  app.set_version_flag("--version", std::string("dlasim ") + DLASIM_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 success, 1 run failed (e.g. bit-exact mismatch), 2 bad input (usage, config, workload).");

  RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "simulate one design point and its 8-bit baseline on a workload");
  run->add_option("config", run_args.config, "YAML config file")->capture_default_str();
  run->add_option("--set", run_args.sets, "override a config key: --set arch.lanes=32 (repeatable)")
      ->type_name("KEY=VALUE");
  run->add_option("--out", run_args.out, "output directory (default: out/<run.name>)");
  run->add_option("--operand-cache", run_args.operand_cache,
                  "directory of cached synthetic float operands, shared by runs of one workload and seed");
  run->add_flag("--quiet,-q", run_args.quiet, "do not print the report");
  CLI::Option* vcd = run->add_option("--vcd", run_args.vcd, "write a VCD waveform of both DLAs (docs/waveforms.md)")
                          ->type_name("FILE");
  CLI::Option* vcd_window =
      run->add_option("--vcd-window", run_args.vcd_window, "cycles written to the VCD, inclusive (default 0:9999)")
          ->type_name("FIRST:LAST");

  EvalArgs eval_args;
  CLI::App* eval = app.add_subcommand(
      "eval", "top-1 accuracy of the design on an ONNX model and a labeled test set, through the bit-exact integer "
              "reference; --simulate N also runs N images on the SystemC DLA and its baseline (docs/models.md)");
  eval->add_option("config", eval_args.config, "YAML config file")->capture_default_str();
  eval->add_option("--model", eval_args.model, "ONNX model (default: eval.model of the config)")->type_name("FILE");
  eval->add_option("--data", eval_args.data, "dataset: fashion-mnist")->capture_default_str();
  eval->add_option("--data-dir", eval_args.data_dir, "directory of the IDX files (sets eval.data_dir)");
  eval->add_option("--limit", eval_args.limit, "test images evaluated, 0 = all (sets eval.limit)");
  eval->add_option("--simulate", eval_args.simulate, "test images also simulated (sets eval.simulate)");
  eval->add_option("--calib", eval_args.calib, "calibration images (sets eval.calib_images)");
  eval->add_option("--set", eval_args.sets, "override a config key (repeatable)")->type_name("KEY=VALUE");
  eval->add_option("--out", eval_args.out, "output directory (default: out/<run.name>)");
  eval->add_flag("--quiet,-q", eval_args.quiet, "do not print the report");

  ExportArgs export_args;
  CLI::App* export_energy = app.add_subcommand(
      "export-energy", "write the per-action energy (ERT) and per-instance area (ART) tables of the design and "
                       "its baseline as Accelergy/Timeloop YAML, without simulating");
  export_energy->add_option("config", export_args.config, "YAML config file")->capture_default_str();
  export_energy->add_option("--set", export_args.sets, "override a config key (repeatable)")->type_name("KEY=VALUE");
  export_energy->add_option("--out", export_args.out, "output directory (default: out/<run.name>)");

  CLI::App* config = app.add_subcommand("config", "configuration reference");
  bool reference = false;
  config->add_flag("--reference", reference, "print the config key reference (docs/config.md) as Markdown");
  std::string explain_key;
  config->add_option("--explain", explain_key, "print type, default, unit, range and description of a key, or of "
                                               "every key of a section (e.g. arch, quant.weights)")
      ->type_name("KEY");
  config->require_option(1);

  QuantArgs quant_args;
  CLI::App* quant = app.add_subcommand("quant", "quantize a NumPy tensor and print its error statistics");
  CLI::Option* in = quant->add_option("--in", quant_args.in, "input tensor (.npy, or .npz with --key)");
  CLI::Option* synthetic = quant->add_option(
      "--synthetic", quant_args.synthetic, "seeded input instead: normal:SIGMA, laplace:B, student_t:DOF[:SCALE]");
  in->excludes(synthetic);
  quant->add_option("--shape", quant_args.shape, "--synthetic shape")->capture_default_str();
  quant->add_option("--seed", quant_args.seed, "--synthetic seed")->capture_default_str();
  quant->add_option("--key", quant_args.key, ".npz member to read");
  CLI::Option* format = quant->add_option("--format", quant_args.format, "format name, e.g. int4-v16-s4 (see dlasim formats)");
  CLI::Option* compare = quant->add_option("--compare", quant_args.compare, "formats side by side: F1,F2,...")
                             ->delimiter(',');
  format->excludes(compare);
  quant->add_option("--calib", quant_args.calib, "coarse-scale calibrator: max, percentile[:P], mse, entropy")
      ->capture_default_str();
  quant->add_option("--calib-data", quant_args.calib_data, "static calibration batch (.npy/.npz); default: dynamic");
  quant->add_option("--axis", quant_args.axis, "reduction axis cut into vectors (default 1, or 0 for rank 1)");
  quant->add_option("--channel-axis", quant_args.channel_axis, "channel axis or 'none' (default 0 for rank >= 2)");
  quant->add_option("--out", quant_args.out, "write the quantized tensor (.npz, --format only)");
  quant->add_flag("--json", quant_args.json, "print JSON instead of a table");

  CLI::App* formats = app.add_subcommand("formats", "list the quantization formats");

  BenchArgs bench_args;
  CLI::App* bench = app.add_subcommand("bench", "speed benchmarks that print measured figures");
  bench->add_option("name", bench_args.name, "benchmark: quant (quantizer throughput) or run (phases of a run)")
      ->required();
  bench->add_option("--config", bench_args.config, "run: config to simulate")->capture_default_str();
  bench->add_option("--elements", bench_args.elements, "quant: floats to quantize")->capture_default_str();
  bench->add_option("--repeat", bench_args.repeat, "runs per case (median reported)")->capture_default_str();
  bench->add_option("--formats", bench_args.formats, "quant: formats to time F1,F2,...")->delimiter(',');
  bench->add_flag("--design-only", bench_args.design_only,
                  "run: simulate and check the configured design alone (the speed target's measure)");
  bench->add_flag("--exact-reference", bench_args.exact_reference,
                  "run: check against the reference's defining saturating loop instead of its fastest path");

  std::string report_dir_arg;
  CLI::App* report = app.add_subcommand("report", "re-render the plots and totals of a finished run directory");
  report->add_option("dir", report_dir_arg, "directory of a finished run (holding summary.json)")->required();
  SweepArgs sweep_args;
  CLI::App* sweep = app.add_subcommand("sweep", "run the points of a sweep file, one process each, and merge them "
                                                "into sweep.csv/sweep.json (docs/sweeps.md)");
  sweep->add_option("sweep_file", sweep_args.file, "sweep YAML (base config, axes, zip)")->required();
  sweep->add_option("-j,--jobs", sweep_args.jobs, "points run at once (default: number of cores)");
  sweep->add_option("--out", sweep_args.out, "output directory (default: out/sweeps/<name>)");
  sweep->add_flag("--retry-failed", sweep_args.retry_failed, "rerun points recorded as failed");
  sweep->add_flag("--baseline-per-point", [&sweep_args](int64_t) { sweep_args.share_baseline = false; },
                  "simulate the 8-bit baseline in every point even when only quant.* keys are swept");
  sweep->add_option("--shard", sweep_args.shard, "run only points whose index % N == K (default under mpirun: "
                                                "the rank and size)")->type_name("K/N");
  sweep->add_flag("--list", sweep_args.list, "validate and print the points (id and --set overrides), run nothing");
  sweep->add_option("--point-timeout", sweep_args.point_timeout,
                    "seconds a point may run; a point over it is killed and recorded failed (default: no limit)")
      ->check(CLI::NonNegativeNumber);
  SweepPointArgs point_args;
  CLI::App* sweep_point = app.add_subcommand("sweep-point", "one point of a sweep (run by dlasim sweep)");
  sweep_point->group("");
  sweep_point->add_option("config", point_args.config)->required();
  sweep_point->add_option("--set", point_args.sets);
  sweep_point->add_option("--out", point_args.out)->required();
  sweep_point->add_option("--baseline-out", point_args.baseline_out);
  sweep_point->add_option("--baseline", point_args.baseline);
  sweep_point->add_option("--operand-cache", point_args.operand_cache);
  sweep_point->add_flag("--accuracy", point_args.accuracy);

  std::string validate_tech = "configs/tech/keller_5nm.yaml";
  CLI::App* validate = app.add_subcommand(
      "validate-energy", "the energy model against Keller et al. JSSC 2023 Table II (docs/validation.md)");
  validate->add_option("--tech", validate_tech, "tech file to price the three designs with")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  run_args.vcd_given = vcd->count() > 0;
  run_args.vcd_window_given = vcd_window->count() > 0;
  try {
    if (*run) return do_run(run_args);
    if (*export_energy) return do_export(export_args);
    if (*eval) return do_eval(eval_args);
    if (*sweep) return run_sweep(sweep_args, std::cout);
    if (*sweep_point) return run_sweep_point(point_args);
    if (*quant) return run_quant(quant_args, std::cout);
    if (*bench) return run_bench(bench_args, std::cout);
    if (*report) return report_dir(report_dir_arg, std::cout);
    if (*validate) {
      std::cout << table2_markdown(keller_table2(load_tech(validate_tech)));
      return kExitOk;
    }
    if (*formats) {
      print_formats(std::cout);
      return kExitOk;
    }
    if (*config && !reference) return explain_config_key(explain_key, std::cout);
    if (*config) {
      std::cout << config_reference_markdown();
      return kExitOk;
    }
  } catch (const ConfigError& e) {
    for (const std::string& m : e.messages()) std::cerr << "dlasim: config error: " << m << "\n";
    return kExitBadInput;
  } catch (const InputError& e) {
    std::cerr << "dlasim: input error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "dlasim: error: " << e.what() << "\n";
    return kExitRunFailed;
  }
  return kExitOk;
}

}  // namespace dlasim::sim
