// `dlasim report DIR` re-renders a finished run's plots with gnuplot from its summary.json.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/input_error.hpp"
#include "sim/report/plots.hpp"
#include "sim/report/report.hpp"

using namespace dlasim;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("dlasim_test_plots_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("report: a finished run's plots are rendered as PNG and SVG from summary.json") {
  const fs::path dir = fresh_dir("ok");
  fs::copy_file(fs::path(DLASIM_SOURCE_DIR) / "tests/golden/tiny.summary.json", dir / "summary.json");
  std::ostringstream out;
  REQUIRE(sim::report_dir(dir.string(), out) == 0);
  for (const char* name : {"energy_components", "cycles_per_layer"}) {
    INFO(name);
    CHECK(fs::file_size(dir / "plots" / (std::string(name) + ".png")) > 1000);
    const std::string svg = read(dir / "plots" / (std::string(name) + ".svg"));
    CHECK(svg.find("<svg") != std::string::npos);
  }
  // The data files carry the summary's numbers: every layer, design and baseline cycles.
  const std::string cycles = read(dir / "plots" / "cycles_per_layer.dat");
  CHECK(cycles.find("\"conv1\"") != std::string::npos);
  CHECK(cycles.find("\"fc\"") != std::string::npos);
  const std::string energy = read(dir / "plots" / "energy_components.dat");
  CHECK(energy.find("pe.mac_lane") != std::string::npos);
  CHECK(out.str().find("plot: ") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("report: a directory without a readable summary.json is a clear error") {
  const fs::path dir = fresh_dir("bad");
  std::ostringstream out;
  REQUIRE_THROWS_WITH(sim::report_dir(dir.string(), out), Catch::Contains("summary.json: cannot open"));
  std::ofstream(dir / "summary.json") << "{ not json";
  REQUIRE_THROWS_WITH(sim::report_dir(dir.string(), out), Catch::Contains("not a valid summary.json"));
  std::ofstream(dir / "summary.json") << "{\"run\": \"x\"}";
  REQUIRE_THROWS_WITH(sim::report_dir(dir.string(), out), Catch::Contains("missing or malformed field"));
  fs::remove_all(dir);
}

TEST_CASE("report: gnuplot string literals double their quotes") {
  CHECK(sim::gnuplot_quote("it's") == "'it''s'");
}

TEST_CASE("report: the Pareto front keeps the points no other point beats in both coordinates") {
  // (area, energy): (1,1) baseline-like, (0.6,0.7), (0.7,0.5), (0.8,0.6) dominated by (0.7,0.5), (0.5,0.9).
  const std::vector<double> x{1.0, 0.6, 0.7, 0.8, 0.5}, y{1.0, 0.7, 0.5, 0.6, 0.9};
  const std::vector<std::size_t> front = sim::pareto_front(x, y);
  CHECK(front == std::vector<std::size_t>{4, 1, 2});
}
