// Run reports: terminal tables, summary.json, layers.csv, energy.csv, area.csv and config.resolved.yaml,
// the design beside its 8-bit baseline with ratios, including the figures of figures.hpp (energy per op,
// TOPS/W, TOPS/mm²). Files are written atomically (temp file + rename).
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/run.hpp"

namespace dlasim::sim {

nlohmann::ordered_json summary_json(const RunResult& r, const Config& c);
std::string layers_csv(const RunResult& r);
std::string energy_csv(const RunResult& r);
std::string area_csv(const RunResult& r);
void print_report(std::ostream& os, const RunResult& r, const Config& c);

// Writes every output file into `dir` (created if needed).
void write_outputs(const std::string& dir, const RunResult& r, const Config& c);

// `dlasim report DIR`: re-renders the plots of a finished sweep (DIR/sweep.json: render_sweep_plots) or run
// (DIR/summary.json: render_run_plots, and prints its totals). Throws InputError when DIR holds neither
// readable file or gnuplot fails.
int report_dir(const std::string& dir, std::ostream& os);

// Writes `content` to `path` through a temporary file and a rename, so `path` is never half-written.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace dlasim::sim
