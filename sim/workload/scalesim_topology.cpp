#include "sim/workload/scalesim_topology.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sim/input_error.hpp"
#include "sim/workload/csv_cells.hpp"

namespace dlasim::sim {

namespace {

// Cells of a line; one trailing comma (SCALE-Sim ends every line with one) does not make a cell.
std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells = split_cells(line);
  if (!cells.empty() && cells.back().empty()) cells.pop_back();
  return cells;
}

// Lower case without blanks: "IFMAP Height" -> "ifmapheight".
std::string key(const std::string& s) {
  std::string k;
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return k;
}

struct Header {
  bool gemm = false;
  bool two_strides = false;   // "Stride height, Stride width" instead of "Strides"
  std::size_t columns = 0;    // without the optional Sparsity column
  bool sparsity = false;      // the header has the Sparsity column
  std::vector<std::string> names;  // as written in the header, for messages
};

const std::vector<std::string> kConv = {"layername", "ifmapheight", "ifmapwidth", "filterheight",
                                        "filterwidth", "channels",  "numfilter"};
const std::string kConvForm =
    "\"Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\" "
    "(or \"Stride height, Stride width,\" for \"Strides\")";
const std::string kGemmForm = "\"Layer, M, N, K,\"";

Header parse_header(const std::vector<std::string>& cells, const std::string& where) {
  std::vector<std::string> k;
  for (const auto& c : cells) k.push_back(key(c));
  Header h;
  h.names = cells;
  if (!k.empty() && k.back() == "sparsity") {
    h.sparsity = true;
    k.pop_back();
  }
  if (k == std::vector<std::string>{"layer", "m", "n", "k"}) {
    h.gemm = true;
    h.columns = 4;
    return h;
  }
  std::vector<std::string> one = kConv, two = kConv;
  one.push_back("strides");
  two.push_back("strideheight");
  two.push_back("stridewidth");
  if (k == one || k == two) {
    h.two_strides = k == two;
    h.columns = k.size();
    return h;
  }
  throw InputError(fmt::format(
      "{}: not a SCALE-Sim topology header: expected the conv form {} or the GEMM form {}, either optionally "
      "followed by \"Sparsity,\"",
      where, kConvForm, kGemmForm));
}

int64_t cell_int(const std::vector<std::string>& cells, std::size_t i, const Header& h, const std::string& where,
                 int64_t max) {
  const std::string& cell = cells[i];
  std::size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(cell, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (cell.empty() || used != cell.size() || v < 1 || v > max) {
    throw InputError(fmt::format("{}:{}: column '{}': expected an integer in [1, {}], got \"{}\"", where, i + 1,
                                 h.names[i], max, cell));
  }
  return v;
}

// SCALE-Sim v3's N:M structured-sparsity cell: checked, then ignored (dlasim models dense arithmetic).
void check_sparsity(const std::string& cell, std::size_t i, const Header& h, const std::string& where) {
  if (cell.empty()) return;
  const auto colon = cell.find(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < cell.size();
  if (ok) {
    const std::string n = cell.substr(0, colon), m = cell.substr(colon + 1);
    const auto digits = [](const std::string& s) {
      return std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    };
    ok = digits(n) && digits(m) && n.size() < 9 && m.size() < 9 && std::stol(n) <= std::stol(m) && std::stol(m) > 0;
  }
  if (!ok) {
    throw InputError(
        fmt::format("{}:{}: column '{}': expected N:M with N <= M (or empty), got \"{}\"", where, i + 1, h.names[i], cell));
  }
}

}  // namespace

bool is_scalesim_topology(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::string t = trim_cell(line);
    if (t.empty() || t[0] == '#') continue;
    return key(t).rfind("layer", 0) == 0;
  }
  return false;
}

std::vector<LayerSpec> parse_scalesim_topology(const std::string& text, const std::string& source) {
  constexpr int64_t kMaxDim = 1 << 20;
  std::istringstream in(text);
  std::string line;
  bool have_header = false;
  Header h;
  std::vector<LayerSpec> layers;
  std::set<std::string> names;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const std::string t = trim_cell(line);
    if (t.empty() || t[0] == '#') continue;
    const std::string where = fmt::format("{}:{}", source, line_no);
    const std::vector<std::string> cells = split(t);
    if (!have_header) {
      h = parse_header(cells, where);
      have_header = true;
      continue;
    }
    const std::size_t all = h.columns + (h.sparsity ? 1 : 0);
    if (cells.size() != all && cells.size() != h.columns) {
      const std::string expected =
          h.sparsity ? fmt::format("{} or {} (without Sparsity)", all, h.columns) : std::to_string(h.columns);
      throw InputError(fmt::format("{}: expected {} columns, got {}", where, expected, cells.size()));
    }
    LayerSpec l;
    l.name = cells[0];
    if (l.name.empty()) throw InputError(fmt::format("{}:1: column '{}': expected a non-empty name", where, h.names[0]));
    if (!names.insert(l.name).second) {
      throw InputError(fmt::format("{}:1: column '{}': layer \"{}\" appears twice", where, h.names[0], l.name));
    }
    if (cells.size() > h.columns) check_sparsity(cells[h.columns], h.columns, h, where);
    hw::ConvShape& s = l.shape;
    l.relu = false;  // SCALE-Sim topologies carry no activation function
    s.pad = 0;
    if (h.gemm) {
      l.type = "gemm";
      s.in_h = cell_int(cells, 1, h, where, kMaxDim);   // M: output rows
      s.out_c = cell_int(cells, 2, h, where, kMaxDim);  // N: output columns
      s.in_c = cell_int(cells, 3, h, where, kMaxDim);   // K: the reduction
      s.groups = 1;
      check_layer_size(l, where);
      layers.push_back(l);
      continue;
    }
    l.type = "conv";
    s.in_h = cell_int(cells, 1, h, where, kMaxDim);
    s.in_w = cell_int(cells, 2, h, where, kMaxDim);
    s.kernel_h = cell_int(cells, 3, h, where, 1024);
    s.kernel_w = cell_int(cells, 4, h, where, 1024);
    const int64_t channels = cell_int(cells, 5, h, where, kMaxDim);
    const int64_t filters = cell_int(cells, 6, h, where, kMaxDim);
    s.stride = cell_int(cells, 7, h, where, 1024);
    if (h.two_strides) {
      const int64_t sw = cell_int(cells, 8, h, where, 1024);
      if (sw != s.stride) {
        throw InputError(fmt::format("{}:9: column '{}': dlasim has one stride for both axes; got stride height {} "
                                     "and stride width {}",
                                     where, h.names[8], s.stride, sw));
      }
    }
    if (s.kernel_h > s.in_h) {
      throw InputError(fmt::format("{}:4: column '{}': the filter height {} exceeds the IFMAP height {}", where,
                                   h.names[3], s.kernel_h, s.in_h));
    }
    if (s.kernel_w > s.in_w) {
      throw InputError(fmt::format("{}:5: column '{}': the filter width {} exceeds the IFMAP width {}", where,
                                   h.names[4], s.kernel_w, s.in_w));
    }
    s.in_c = channels;
    if (l.name.find("DP") != std::string::npos) {  // SCALE-Sim's depthwise marker: one conv per channel
      s.groups = channels;
      s.out_c = channels * filters;
      if (filters == 1) l.type = "dwconv";
    } else {
      s.groups = 1;
      s.out_c = filters;
    }
    check_layer_size(l, where);
    layers.push_back(l);
  }
  if (!have_header) throw InputError(fmt::format("{}: empty SCALE-Sim topology (expected a header and layers)", source));
  if (layers.empty()) throw InputError(fmt::format("{}: the SCALE-Sim topology has a header but no layers", source));
  return layers;
}

}  // namespace dlasim::sim
