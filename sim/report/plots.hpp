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

// Runs gnuplot on `script` (cwd = its directory); throws InputError with gnuplot's exit status otherwise.
void run_gnuplot(const std::string& script);

// A gnuplot string literal of `s` (single-quoted, quotes doubled).
std::string gnuplot_quote(const std::string& s);

}  // namespace dlasim::sim
