// Plots of a finished run with gnuplot (Debian gnuplot-nox; design.md §6): each plot is a data file, a gnuplot
// script and its PNG and SVG renderings under <run dir>/plots/, all re-rendered from summary.json, so
// `dlasim report DIR` works on any finished run. Files are written atomically; gnuplot runs as a child
// process on the script.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dlasim::sim {

// The run plots: energy by component (stacked bars, design and baseline, pJ) and cycles per layer (bars,
// design and baseline). Returns the image paths written. Throws InputError when gnuplot cannot be run or
// fails (naming the script).
std::vector<std::string> render_run_plots(const std::string& run_dir, const nlohmann::json& summary);

// The sweep plots from sweep.json (docs/sweeps.md): energy vs area and energy vs achieved TOPS/mm², each
// normalised to the 8-bit baseline, one point per successful sweep point labelled with its design (W/A/ws/as),
// the Pareto front highlighted (lower energy and area; lower energy and higher TOPS/mm²); beyond 20 points
// only the front is labelled. Failed points are left out. Returns the image paths written.
std::vector<std::string> render_sweep_plots(const std::string& sweep_dir, const nlohmann::json& sweep);

// Indices of the Pareto-optimal points among (x, y) when both are minimised, in increasing x.
std::vector<std::size_t> pareto_front(const std::vector<double>& x, const std::vector<double>& y);

// Runs gnuplot on `script` (cwd = its directory); throws InputError with gnuplot's exit status otherwise.
void run_gnuplot(const std::string& script);

// A gnuplot string literal of `s` (single-quoted, quotes doubled).
std::string gnuplot_quote(const std::string& s);

}  // namespace dlasim::sim
