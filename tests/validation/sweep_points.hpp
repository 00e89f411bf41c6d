// Reading the sweeps the validation tests check: the fixture test ran `dlasim sweep` into a directory that ctest
// passes in an environment variable; each finished point left points/<id>/summary.json.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace dlasim::validation {

// The summary.json of every point of the sweep in the directory named by the environment variable `var`.
inline std::vector<nlohmann::json> sweep_summaries(const char* var) {
  const char* dir = std::getenv(var);
  REQUIRE(dir != nullptr);
  std::vector<nlohmann::json> points;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(dir) / "points")) {
    std::ifstream f(entry.path() / "summary.json");
    if (f) points.push_back(nlohmann::json::parse(f));
  }
  return points;
}

// Dynamic energy of the PE array and the PPU of one design of a summary (pJ): what a PE-level synthesis measures.
inline double pe_array_energy_pj(const nlohmann::json& design) {
  double sum = 0;
  for (const auto& [component, pj] : design.at("energy_by_component_pj").items()) {
    if (component.rfind("pe.", 0) == 0 || component == "ppu") sum += pj.get<double>();
  }
  return sum;
}

}  // namespace dlasim::validation
