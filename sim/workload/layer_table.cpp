#include "sim/workload/layer_table.hpp"
#include "sim/workload/model_layers.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "quant/format.hpp"

#include "sim/input_error.hpp"
#include "sim/workload/csv_cells.hpp"
#include "sim/workload/scalesim_topology.hpp"

namespace dlasim::sim {

namespace {

// The required columns; the optional groups column (kGroupsColumn) may follow them.
const std::vector<std::string> kColumns = {"name",     "type",     "in_h",   "in_w", "in_c", "out_c",
                                           "kernel_h", "kernel_w", "stride", "pad",  "relu"};
const std::string kGroupsColumn = "groups";
// The optional per-layer format overrides; they follow the groups column.
const std::vector<std::string> kFormatColumns = {"weights_format", "act_format"};

int64_t parse_int(const std::string& cell, const std::string& where, const std::string& column, int64_t min,
                  int64_t max) {
  std::size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(cell, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (cell.empty() || used != cell.size() || v < min || v > max) {
    throw InputError(fmt::format("{}: column '{}': expected an integer in [{}, {}], got \"{}\"", where, column, min,
                                 max, cell));
  }
  return v;
}

// The header's column count: 11 without the optional groups column, 12 with it, 14 with groups and the two
// format-override columns.
std::size_t header_columns(const std::vector<std::string>& cells, const std::string& where) {
  std::vector<std::string> with_groups = kColumns;
  with_groups.push_back(kGroupsColumn);
  std::vector<std::string> with_formats = with_groups;
  with_formats.insert(with_formats.end(), kFormatColumns.begin(), kFormatColumns.end());
  if (cells == kColumns) return kColumns.size();
  if (cells == with_groups) return with_groups.size();
  if (cells == with_formats) return with_formats.size();
  throw InputError(fmt::format("{}: expected the header \"{}\" (optionally followed by \",{}\" or \",{},{}\")",
                               where, fmt::join(kColumns, ","), kGroupsColumn, kGroupsColumn,
                               fmt::join(kFormatColumns, ",")));
}

// An override cell: empty (the design's format) or a format name of docs/quant.md.
std::string format_cell(const std::string& cell, const std::string& where, const std::string& column) {
  if (cell.empty()) return cell;
  try {
    quant::parse_format(cell);
  } catch (const std::invalid_argument& e) {
    throw InputError(fmt::format("{}: column '{}': {}", where, column, e.what()));
  }
  return cell;
}

bool is_matrix_product(const std::string& type) { return type == "gemm" || type == "attn_qk" || type == "attn_pv"; }

// Sets shape.groups from the optional groups cell (empty: not given) and checks it against the type and
// channel counts: conv and fc default to 1, dwconv means groups = in_c = out_c, gemm has 1, and the
// attention types need the cell (H heads).
void set_groups(LayerSpec& l, const std::string& cell, const std::string& where, int64_t max) {
  hw::ConvShape& s = l.shape;
  if (l.type == "dwconv") {
    if (s.out_c != s.in_c) {
      throw InputError(fmt::format("{}: column 'out_c': a dwconv layer needs out_c = in_c = {}, got {}", where, s.in_c,
                                   s.out_c));
    }
    s.groups = cell.empty() ? s.in_c : parse_int(cell, where, kGroupsColumn, 1, max);
    if (s.groups != s.in_c) {
      throw InputError(fmt::format("{}: column 'groups': a dwconv layer has groups = in_c = {}, got {}", where, s.in_c,
                                   s.groups));
    }
    return;
  }
  if (l.is_attention()) {
    if (cell.empty()) {
      throw InputError(fmt::format("{}: column 'groups': an {} layer needs the number of heads H in the groups column",
                                   where, l.type));
    }
    s.groups = parse_int(cell, where, kGroupsColumn, 1, max);
    const bool qk = l.type == "attn_qk";
    if (s.in_c % s.groups != 0 || s.out_c % s.groups != 0) {
      throw InputError(fmt::format("{}: column 'groups': H = {} heads must divide in_c = {} = {} and out_c = {} = {}",
                                   where, s.groups, qk ? "H·d" : "H·N", s.in_c, qk ? "H·N" : "H·d", s.out_c));
    }
    return;
  }
  s.groups = cell.empty() ? 1 : parse_int(cell, where, kGroupsColumn, 1, max);
  if (l.type == "gemm" && s.groups != 1) {
    throw InputError(fmt::format("{}: column 'groups': a gemm layer has groups = 1, got {}", where, s.groups));
  }
  if (s.in_c % s.groups != 0 || s.out_c % s.groups != 0) {
    throw InputError(fmt::format("{}: column 'groups': {} groups must divide in_c = {} and out_c = {}", where, s.groups,
                                 s.in_c, s.out_c));
  }
}

// gemm, attn_qk and attn_pv are 1×1 convolutions over an M×1 input (M rows in in_h): the other geometry
// columns are fixed; the attention GEMMs have no activation.
void check_matrix_product(const LayerSpec& l, const std::string& where) {
  const hw::ConvShape& s = l.shape;
  const struct {
    const char* column;
    int64_t value, required;
  } fixed[] = {{"in_w", s.in_w, 1}, {"kernel_h", s.kernel_h, 1}, {"kernel_w", s.kernel_w, 1},
               {"stride", s.stride, 1}, {"pad", s.pad, 0}};
  for (const auto& f : fixed) {
    if (f.value != f.required) {
      throw InputError(fmt::format("{}: column '{}': {} {} layer needs {} = {} (the M rows are in in_h), got {}", where,
                                   f.column, l.is_attention() ? "an" : "a", l.type, f.column, f.required, f.value));
    }
  }
  if (l.is_attention() && l.relu) {
    throw InputError(fmt::format("{}: column 'relu': an {} layer has relu = 0 (no activation; softmax is not modelled)",
                                 where, l.type));
  }
}

}  // namespace

AttentionDims LayerSpec::attention() const {
  if (type == "attn_qk") return {shape.groups, shape.in_h, shape.group_out_c(), shape.group_in_c()};
  if (type == "attn_pv") return {shape.groups, shape.in_h, shape.group_in_c(), shape.group_out_c()};
  return {};
}

void check_layer_size(const LayerSpec& l, const std::string& where) {
  const hw::ConvShape& s = l.shape;
  constexpr double kMaxElements = 2147483648.0;  // 2^31
  const double weights = double(s.out_c) * double(s.taps()) * double(s.group_in_c());
  const double input = double(s.in_h) * double(s.in_w) * double(s.in_c);
  const double output = double(s.out_h()) * double(s.out_w()) * double(s.out_c);
  const auto refuse = [&](const char* what, double n) {
    throw InputError(fmt::format("{}: layer '{}': its {} has {:.4g} elements, more than 2^31 (the synthetic operands "
                                 "would not fit in memory)",
                                 where, l.name, what, n));
  };
  if (weights > kMaxElements) refuse("weight tensor", weights);
  if (input > kMaxElements) refuse("input", input);
  if (output > kMaxElements) refuse("output", output);
}

std::vector<LayerSpec> parse_layer_table(const std::string& text, const std::string& source) {
  std::istringstream in(text);
  std::string line;
  std::size_t columns = 0;  // of the header; 0 until it is seen
  std::vector<LayerSpec> layers;
  std::set<std::string> names;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const std::string t = trim_cell(line);
    if (t.empty() || t[0] == '#') continue;
    const std::string where = fmt::format("{}:{}", source, line_no);
    const std::vector<std::string> cells = split_cells(t);
    if (columns == 0) {
      columns = header_columns(cells, where);
      continue;
    }
    const bool short_row = cells.size() == kColumns.size() || (columns > kColumns.size() + 1 && cells.size() == kColumns.size() + 1);
    if (cells.size() != columns && !short_row) {
      const std::string expected =
          columns == kColumns.size()       ? std::to_string(columns)
          : columns == kColumns.size() + 1 ? fmt::format("{} or {}", kColumns.size(), columns)
                                           : fmt::format("{}, {} or {}", kColumns.size(), kColumns.size() + 1, columns);
      throw InputError(fmt::format("{}: expected {} columns, got {}", where, expected, cells.size()));
    }
    LayerSpec l;
    l.name = cells[0];
    if (l.name.empty()) throw InputError(fmt::format("{}: column 'name': expected a non-empty name", where));
    if (!names.insert(l.name).second) {
      throw InputError(fmt::format("{}: column 'name': layer \"{}\" appears twice", where, l.name));
    }
    l.type = cells[1];
    if (l.type != "conv" && l.type != "dwconv" && l.type != "fc" && !is_matrix_product(l.type)) {
      throw InputError(fmt::format(
          "{}: column 'type': expected conv, dwconv, fc, gemm, attn_qk or attn_pv, got \"{}\"", where, l.type));
    }
    constexpr int64_t kMaxDim = 1 << 20;
    hw::ConvShape& s = l.shape;
    s.in_h = parse_int(cells[2], where, "in_h", 1, kMaxDim);
    s.in_w = parse_int(cells[3], where, "in_w", 1, kMaxDim);
    s.in_c = parse_int(cells[4], where, "in_c", 1, kMaxDim);
    s.out_c = parse_int(cells[5], where, "out_c", 1, kMaxDim);
    s.kernel_h = parse_int(cells[6], where, "kernel_h", 1, 1024);
    s.kernel_w = parse_int(cells[7], where, "kernel_w", 1, 1024);
    s.stride = parse_int(cells[8], where, "stride", 1, 1024);
    s.pad = parse_int(cells[9], where, "pad", 0, 1024);
    l.relu = parse_int(cells[10], where, "relu", 0, 1) == 1;
    if (is_matrix_product(l.type)) check_matrix_product(l, where);
    set_groups(l, cells.size() > kColumns.size() ? cells[11] : std::string(), where, kMaxDim);
    if (cells.size() > kColumns.size() + 1) {
      l.weights_format = format_cell(cells[12], where, kFormatColumns[0]);
      l.act_format = format_cell(cells[13], where, kFormatColumns[1]);
    }
    if (s.in_h + 2 * s.pad < s.kernel_h || s.in_w + 2 * s.pad < s.kernel_w) {
      throw InputError(fmt::format("{}: the {}x{} kernel does not fit the padded {}x{} input", where, s.kernel_h,
                                   s.kernel_w, s.in_h + 2 * s.pad, s.in_w + 2 * s.pad));
    }
    if (l.type == "fc" && (s.in_h != 1 || s.in_w != 1 || s.kernel_h != 1 || s.kernel_w != 1 || s.stride != 1 ||
                           s.pad != 0)) {
      throw InputError(fmt::format(
          "{}: an fc layer needs in_h = in_w = kernel_h = kernel_w = stride = 1 and pad = 0 (features in in_c)", where));
    }
    check_layer_size(l, where);
    layers.push_back(l);
  }
  if (columns == 0) throw InputError(fmt::format("{}: empty layer table (expected a header and layers)", source));
  if (layers.empty()) throw InputError(fmt::format("{}: the layer table has a header but no layers", source));
  return layers;
}

std::vector<LayerSpec> load_layer_table(const std::string& path) {
  if (is_model_file(path)) return load_model_layers(path);
  std::ifstream f(path);
  if (!f) throw InputError(fmt::format("{}: cannot open the layer table", path));
  std::stringstream ss;
  ss << f.rdbuf();
  if (is_scalesim_topology(ss.str())) return parse_scalesim_topology(ss.str(), path);
  return parse_layer_table(ss.str(), path);
}

}  // namespace dlasim::sim
