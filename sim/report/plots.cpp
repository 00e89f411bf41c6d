#include "sim/report/plots.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "sim/input_error.hpp"
#include "sim/report/report.hpp"

namespace dlasim::sim {

namespace {

// Writes `name`.dat and `name`.gp into `dir`, renders PNG and SVG, returns both image paths. `body` is the
// plot command(s) reading the data file `name`.dat; the terminal and output lines are added here.
std::vector<std::string> render(const std::string& dir, const std::string& name, const std::string& data,
                                const std::string& settings, const std::string& body) {
  write_file_atomic(dir + "/" + name + ".dat", data);
  std::string script = "# dlasim plot; data in " + name + ".dat. Re-render: gnuplot " + name + ".gp\n";
  for (const auto& [term, ext] : {std::pair<std::string, std::string>{"pngcairo size 1000,600 font ',10'", "png"},
                                  {"svg size 1000,600 font 'sans,10'", "svg"}}) {
    script += fmt::format("set terminal {} noenhanced\nset output {}\n{}\n{}\nunset output\n", term,
                          gnuplot_quote(name + "." + ext), settings, body);
  }
  const std::string gp = dir + "/" + name + ".gp";
  write_file_atomic(gp, script);
  run_gnuplot(gp);
  return {dir + "/" + name + ".png", dir + "/" + name + ".svg"};
}

// A string field of a gnuplot data file: double-quoted (double quotes dropped from the text).
std::string data_label(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c != '"') q += c;
  }
  return q + "\"";
}

}  // namespace

std::string gnuplot_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

void run_gnuplot(const std::string& script) {
  const std::filesystem::path p(script);
  const pid_t pid = fork();
  if (pid < 0) throw InputError("cannot start gnuplot for " + script);
  if (pid == 0) {
    if (chdir(p.parent_path().c_str()) != 0) _exit(126);
    const std::string file = p.filename().string();
    execlp("gnuplot", "gnuplot", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    throw InputError(code == 127 ? fmt::format("{}: gnuplot is not installed (Debian package gnuplot-nox)", script)
                                 : fmt::format("{}: gnuplot failed (exit status {})", script, code));
  }
}

std::vector<std::string> render_run_plots(const std::string& run_dir, const nlohmann::json& summary) {
  const std::string dir = run_dir + "/plots";
  std::filesystem::create_directories(dir);
  const std::string design = "design " + summary.at("design").at("label").get<std::string>();
  const std::string baseline = "baseline " + summary.at("baseline").at("label").get<std::string>();
  std::vector<std::string> images;

  // Energy by component: a row-stacked histogram, one bar per design (rows), one segment per component
  // (columns).
  std::set<std::string> components;
  for (const auto& side : {"design", "baseline"}) {
    for (const auto& [k, v] : summary.at(side).at("energy_by_component_pj").items()) components.insert(k);
  }
  std::string stacked = "# design";
  for (const std::string& c : components) stacked += " " + c;
  stacked += "\n";
  for (const auto& [side, label] : {std::pair<const char*, std::string>{"design", design}, {"baseline", baseline}}) {
    stacked += data_label(label);
    const auto& e = summary.at(side).at("energy_by_component_pj");
    for (const std::string& c : components) stacked += fmt::format(" {:.9g}", e.contains(c) ? e.at(c).get<double>() : 0.0);
    stacked += "\n";
  }
  // Distinct colours for up to 12 components (gnuplot's default cycle repeats after 8).
  static const char* const kColours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                                         "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#17becf", "#393b79"};
  std::string body = "plot ";
  std::size_t col = 2;
  for (const std::string& c : components) {
    body += fmt::format("{}'energy_components.dat' using {}:xtic(1) title {} lc rgb '{}'", col > 2 ? ", " : "", col,
                        gnuplot_quote(c), kColours[(col - 2) % 12]);
    ++col;
  }
  const auto e = render(dir, "energy_components", stacked,
                        "set title 'Energy by component (pJ)'\nset style data histograms\n"
                        "set style histogram rowstacked\nset style fill solid 0.85 border -1\nset boxwidth 0.6\n"
                        "set key outside right\nset ylabel 'pJ'",
                        body);
  images.insert(images.end(), e.begin(), e.end());

  // Cycles per layer: clustered bars, design and baseline.
  std::string layers = "# layer design_cycles baseline_cycles\n";
  for (const auto& l : summary.at("layers")) {
    layers += fmt::format("{} {} {}\n", data_label(l.at("name").get<std::string>()),
                          l.at("design").at("cycles").get<uint64_t>(), l.at("baseline").at("cycles").get<uint64_t>());
  }
  const auto c = render(dir, "cycles_per_layer", layers,
                        "set title 'Cycles per layer'\nset style data histograms\nset style histogram clustered\n"
                        "set style fill solid 0.85 border -1\nset xtics rotate by -60 font ',7'\nset ylabel 'cycles'\n"
                        "set yrange [0:*]\nset key outside top center horizontal",
                        fmt::format("plot 'cycles_per_layer.dat' using 2:xtic(1) title {}, '' using 3 title {}",
                                    gnuplot_quote(design), gnuplot_quote(baseline)));
  images.insert(images.end(), c.begin(), c.end());
  return images;
}

std::vector<std::size_t> pareto_front(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<std::size_t> order(x.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  std::vector<std::size_t> front;
  for (std::size_t i : order) {
    if (front.empty() || y[i] < y[front.back()]) front.push_back(i);
  }
  return front;
}

std::vector<std::string> render_sweep_plots(const std::string& sweep_dir, const nlohmann::json& sweep) {
  const std::string dir = sweep_dir + "/plots";
  std::filesystem::create_directories(dir);
  std::vector<std::string> labels;
  std::vector<double> area, energy, perf_area, drop;
  bool accuracy = true;  // every plotted point has a top-1 accuracy (an accuracy sweep)
  for (const auto& p : sweep.at("points")) {
    if (p.at("status") != "ok" || !p.contains("results") || p.at("results").is_null()) continue;
    const auto& r = p.at("results");
    labels.push_back(r.at("design").at("label").get<std::string>());
    area.push_back(r.at("ratio_to_baseline").at("area").get<double>());
    energy.push_back(r.at("ratio_to_baseline").at("energy").get<double>());
    perf_area.push_back(r.at("ratio_to_baseline").at("achieved_tops_per_mm2").get<double>());
    accuracy = accuracy && r.contains("accuracy");
    drop.push_back(r.contains("accuracy") ? r.at("accuracy").at("top1_drop_pt").get<double>() : 0.0);
  }
  if (labels.empty()) throw InputError(sweep_dir + "/sweep.json: no successful point to plot");
  std::vector<double> neg_perf(perf_area.size());
  for (std::size_t i = 0; i < perf_area.size(); ++i) neg_perf[i] = -perf_area[i];

  std::vector<std::string> images;
  const auto scatter = [&](const std::string& name, const std::vector<double>& x, const std::vector<std::size_t>& front,
                           const std::string& xlabel, const std::string& title) {
    std::string data = "# label x energy_ratio (all points)\n";
    for (std::size_t i = 0; i < labels.size(); ++i) data += fmt::format("{} {:.9g} {:.9g}\n", data_label(labels[i]), x[i], energy[i]);
    data += "\n\n# Pareto front\n";
    for (std::size_t i : front) data += fmt::format("{} {:.9g} {:.9g}\n", data_label(labels[i]), x[i], energy[i]);
    const std::string settings = "set title " + gnuplot_quote(title) + "\nset xlabel " + gnuplot_quote(xlabel) +
                                 "\nset ylabel 'energy / 8-bit baseline'\nset grid\nset key top left\n"
                                 "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05";
    const std::string body = fmt::format(
        "plot '{0}.dat' index 0 using 2:3 with points pt 7 ps 1 lc rgb '#9c9c9c' title 'design points', "
        "'' index 1 using 2:3 with linespoints pt 7 ps 1.4 lw 2 lc rgb '#e15759' title 'Pareto front', "
        "'' index {1} using 2:3:1 with labels offset char 0,1 font ',8' notitle, "
        "'-' using 1:2 with points pt 5 ps 1.6 lc rgb '#4e79a7' title '8-bit baseline'\n1 1\ne",
        name, labels.size() > 20 ? 1 : 0);  // beyond 20 points only the front is labelled
    const auto r = render(dir, name, data, settings, body);
    images.insert(images.end(), r.begin(), r.end());
  };
  scatter("energy_vs_area", area, pareto_front(area, energy), "area / 8-bit baseline",
          "Energy vs area, normalised to the 8-bit baseline");
  std::vector<std::size_t> front = pareto_front(neg_perf, energy);
  scatter("energy_vs_perf_per_area", perf_area, front, "achieved TOPS/mm2 / 8-bit baseline",
          "Energy vs performance per area, normalised to the 8-bit baseline");
  if (accuracy) {
    scatter("energy_vs_accuracy", drop, pareto_front(drop, energy), "top-1 accuracy loss vs FP32 (points)",
            "Energy vs accuracy loss, energy normalised to the 8-bit baseline");
  }
  return images;
}

}  // namespace dlasim::sim
