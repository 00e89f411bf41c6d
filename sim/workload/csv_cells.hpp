// Cells of one comma-separated line, as the layer-table and SCALE-Sim readers split them.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace dlasim::sim {

// `s` without leading and trailing blanks (space, tab, carriage return).
inline std::string trim_cell(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// The trimmed cells of `line`; a trailing comma ends with an empty cell.
inline std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) cells.push_back(trim_cell(cell));
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

}  // namespace dlasim::sim
