#include "sim/cli/cli.hpp"

#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/config/load.hpp"
#include "sim/config/params.hpp"
#include "sim/input_error.hpp"
#include "sim/report/report.hpp"
#include "sim/run.hpp"

namespace dlasim::sim {

namespace {

struct RunArgs {
  std::string config = "configs/default.yaml";
  std::vector<std::string> sets;
  std::string out;
  bool quiet = false;
};

int do_run(const RunArgs& a) {
  const Config config = load_config(a.config, a.sets);
  RunResult result = run_workload(config);
  result.out_dir = a.out.empty() ? "out/" + config.run.name : a.out;
  write_outputs(result.out_dir, result, config);
  if (!a.quiet) print_report(std::cout, result, config);
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
  run->add_flag("--quiet,-q", run_args.quiet, "do not print the report");

  CLI::App* config = app.add_subcommand("config", "configuration reference");
  bool reference = false;
  config->add_flag("--reference", reference, "print the config key reference (docs/config.md) as Markdown");
  config->require_option(1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  try {
    if (*run) return do_run(run_args);
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
