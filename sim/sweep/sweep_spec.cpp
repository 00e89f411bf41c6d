#include "sim/sweep/sweep_spec.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "sim/config/load.hpp"
#include "sim/config/params.hpp"
#include "sim/input_error.hpp"

namespace dlasim::sim {
namespace {

std::string where(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null()) return source;
  return fmt::format("{}:{}:{}", source, mark.line + 1, mark.column + 1);
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// Collects problems and throws them together.
struct Problems {
  std::vector<std::string> list;
  std::set<std::string> seen;
  void add(const std::string& m) {
    if (seen.insert(m).second) list.push_back(m);
  }
  void throw_if_any() const {
    if (!list.empty()) throw InputError(join(list, "\n"));
  }
};

struct RawAxis {
  std::string key;
  std::vector<std::string> values;
  std::string location;                // of the key
};

}  // namespace

std::vector<std::string> SweepPoint::overrides() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : values) out.push_back(k + "=" + v);
  return out;
}

constexpr std::size_t kMaxSweepPoints = 1000000;

SweepSpec parse_sweep_text(const std::string& text, const std::string& source, const std::string& sweep_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: YAML syntax error: {}", where(source, e.mark), e.msg));
  }
  Problems p;
  if (!root.IsMap()) throw InputError(source + ": expected a map with base: and axes:");
  SweepSpec spec;
  spec.source = source;
  spec.name = std::filesystem::path(source).stem().string();
  std::vector<RawAxis> raw;
  YAML::Node zip;
  bool have_base = false, have_axes = false, have_zip = false;
  for (const auto& kv : root) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    const std::string loc = where(source, kv.first.Mark());
    if (key == "name") {
      if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
        p.add(loc + ": name: expected a non-empty string");
        continue;
      }
      spec.name = kv.second.Scalar();
      for (char c : spec.name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
          p.add(fmt::format("{}: name: expected letters, digits, '.', '_' or '-', got \"{}\"", loc, spec.name));
          break;
        }
      }
    } else if (key == "accuracy") {
      if (!kv.second.IsScalar() || (kv.second.Scalar() != "true" && kv.second.Scalar() != "false")) {
        p.add(loc + ": accuracy: expected true or false");
        continue;
      }
      spec.accuracy = kv.second.Scalar() == "true";
    } else if (key == "base") {
      if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
        p.add(loc + ": base: expected the path of a config file");
        continue;
      }
      have_base = true;
      const std::filesystem::path b(kv.second.Scalar());
      spec.base = b.is_absolute() ? b.string() : (std::filesystem::path(sweep_dir) / b).lexically_normal().string();
    } else if (key == "axes") {
      have_axes = true;
      if (!kv.second.IsMap() || kv.second.size() == 0) {
        p.add(loc + ": axes: expected a map of config keys to lists of values");
        continue;
      }
      std::set<std::string> keys;
      for (const auto& axis : kv.second) {
        const std::string aloc = where(source, axis.first.Mark());
        const std::string akey = axis.first.IsScalar() ? axis.first.Scalar() : "";
        if (akey.empty()) {
          p.add(aloc + ": axes: expected a config key");
          continue;
        }
        if (!find_param(akey)) {
          // The config loader's own message, with its "did you mean" suggestion.
          std::string msg = "unknown config key";
          try {
            load_config_text("", source, ".", {akey + "=0"});
          } catch (const ConfigError& e) {
            for (const std::string& m : e.messages()) {
              const auto at = m.find(akey + ": ");
              if (at != std::string::npos) msg = m.substr(at + akey.size() + 2);
            }
          }
          p.add(fmt::format("{}: axes.{}: {}", aloc, akey, msg));
          continue;
        }
        if (!keys.insert(akey).second) {
          p.add(fmt::format("{}: axes.{}: duplicate axis", aloc, akey));
          continue;
        }
        if (!axis.second.IsSequence() || axis.second.size() == 0) {
          p.add(fmt::format("{}: axes.{}: expected a non-empty list of values, e.g. [4, 8]", aloc, akey));
          continue;
        }
        RawAxis r{akey, {}, aloc};
        for (const auto& v : axis.second) {
          if (!v.IsScalar()) {
            p.add(fmt::format("{}: axes.{}: expected a scalar value, got a {}", where(source, v.Mark()), akey,
                              v.IsMap() ? "map" : "sequence"));
            continue;
          }
          r.values.push_back(v.Scalar());
          spec.value_locations.emplace(akey + "=" + v.Scalar(), where(source, v.Mark()));
        }
        raw.push_back(std::move(r));
      }
    } else if (key == "zip") {
      zip = kv.second;
      have_zip = true;
    } else {
      p.add(fmt::format("{}: {}: unknown key (expected name, base, axes, zip, accuracy)", loc, key));
    }
  }
  if (!have_base) p.add(source + ": base: missing (the config file every point starts from)");
  if (!have_axes) p.add(source + ": axes: missing (config keys with lists of values)");

  // Zip groups: key -> group number.
  std::map<std::string, std::size_t> group_of;
  std::vector<std::vector<std::string>> groups;
  if (have_zip) {
    if (!zip.IsSequence()) {
      p.add(where(source, zip.Mark()) + ": zip: expected a list of key lists, e.g. [[a.x, a.y]]");
    } else {
      for (const auto& g : zip) {
        const std::string gloc = where(source, g.Mark());
        if (!g.IsSequence() || g.size() < 2) {
          p.add(gloc + ": zip: expected a group of at least two axis keys, e.g. [quant.weights.bits, quant.activations.bits]");
          continue;
        }
        std::vector<std::string> group;
        for (const auto& k : g) {
          const std::string name = k.IsScalar() ? k.Scalar() : "";
          bool in_axes = false;
          for (const RawAxis& r : raw) in_axes |= r.key == name;
          if (!in_axes) {
            p.add(fmt::format("{}: zip: \"{}\" is not a key of axes", where(source, k.Mark()), name));
          } else if (group_of.count(name)) {
            p.add(fmt::format("{}: zip: \"{}\" is in two zip groups (or twice in one)", where(source, k.Mark()), name));
          } else {
            group_of[name] = groups.size();
            group.push_back(name);
          }
        }
        std::size_t len = 0;
        std::string first;
        for (const std::string& k : group) {
          for (const RawAxis& r : raw) {
            if (r.key != k) continue;
            if (first.empty()) {
              first = k;
              len = r.values.size();
            } else if (r.values.size() != len) {
              p.add(fmt::format("{}: zip: axes.{} has {} values but axes.{} has {}; zipped lists need the same length",
                                gloc, k, r.values.size(), first, len));
            }
          }
        }
        groups.push_back(group);
        // A zipped group repeats a key's value freely; its tuples must be distinct.
        std::set<std::vector<std::string>> tuples;
        for (std::size_t i = 0; i < len; ++i) {
          std::vector<std::string> t;
          for (const std::string& k : group)
            for (const RawAxis& r : raw)
              if (r.key == k && i < r.values.size()) t.push_back(r.values[i]);
          if (!tuples.insert(t).second) {
            p.add(fmt::format("{}: zip: point {} of the group repeats an earlier point", gloc, i));
          }
        }
      }
    }
  }
  // An axis outside a zip group lists each value once.
  for (const RawAxis& r : raw) {
    if (group_of.count(r.key)) continue;
    const std::set<std::string> distinct(r.values.begin(), r.values.end());
    if (distinct.size() != r.values.size()) p.add(fmt::format("{}: axes.{}: a value is listed twice", r.location, r.key));
  }
  p.throw_if_any();

  std::map<std::size_t, std::size_t> axis_of_group;
  for (const RawAxis& r : raw) {
    spec.keys.push_back(r.key);
    const auto g = group_of.find(r.key);
    if (g == group_of.end()) {
      SweepAxis a{{r.key}, {}};
      for (const std::string& v : r.values) a.values.push_back({v});
      spec.axes.push_back(std::move(a));
      continue;
    }
    auto [it, fresh] = axis_of_group.emplace(g->second, spec.axes.size());
    if (fresh) spec.axes.push_back(SweepAxis{{}, std::vector<std::vector<std::string>>(r.values.size())});
    SweepAxis& a = spec.axes[it->second];
    a.keys.push_back(r.key);
    for (std::size_t i = 0; i < r.values.size(); ++i) a.values[i].push_back(r.values[i]);
  }
  double total = 1.0;  // as a double: the product of the axis lengths may overflow size_t
  for (const SweepAxis& a : spec.axes) total *= double(a.values.size());
  if (total > double(kMaxSweepPoints)) {
    throw InputError(fmt::format("{}: axes: {:.4g} points (the product of the axis lengths), more than {}; split the "
                                 "sweep into several files",
                                 source, total, kMaxSweepPoints));
  }
  return spec;
}

SweepSpec load_sweep(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    throw InputError(fmt::format("{}: cannot read sweep file: {}", path,
                                 std::filesystem::is_directory(path) ? "is a directory" : std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_sweep_text(text.str(), path, dir.empty() ? "." : dir);
}

std::string point_id(std::size_t index, std::size_t total, const std::vector<std::string>& values) {
  const std::size_t width = std::max<std::size_t>(3, std::to_string(total > 0 ? total - 1 : 0).size());
  std::string tail;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) tail += '_';
    for (char c : values[i]) {
      const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-';
      tail += keep ? c : '-';
    }
  }
  if (tail.size() > 60) tail.resize(60);
  return fmt::format("p{:0{}}-{}", index, width, tail);
}

std::vector<SweepPoint> expand_points(const SweepSpec& spec) {
  std::size_t total = 1;
  for (const SweepAxis& a : spec.axes) total *= a.values.size();
  if (spec.axes.empty()) total = 0;
  std::vector<SweepPoint> points;
  points.reserve(total);
  std::vector<std::size_t> at(spec.axes.size(), 0);
  for (std::size_t n = 0; n < total; ++n) {
    std::map<std::string, std::string> chosen;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      for (std::size_t k = 0; k < spec.axes[a].keys.size(); ++k) chosen[spec.axes[a].keys[k]] = spec.axes[a].values[at[a]][k];
    }
    SweepPoint pt;
    pt.index = n;
    std::vector<std::string> vals;
    for (const std::string& k : spec.keys) {
      pt.values.emplace_back(k, chosen[k]);
      vals.push_back(chosen[k]);
    }
    pt.id = point_id(n, total, vals);
    points.push_back(std::move(pt));
    for (std::size_t a = spec.axes.size(); a-- > 0;) {  // odometer: the last axis fastest
      if (++at[a] < spec.axes[a].values.size()) break;
      at[a] = 0;
    }
  }
  return points;
}

std::vector<std::string> validate_points(const SweepSpec& spec, const std::vector<SweepPoint>& points) {
  std::vector<std::string> resolved;
  try {
    resolved.push_back(resolved_yaml(load_config(spec.base, {})));
  } catch (const ConfigError& e) {
    std::vector<std::string> lines;
    for (const std::string& m : e.messages()) lines.push_back(fmt::format("{}: base config: {}", spec.source, m));
    throw InputError(join(lines, "\n"));
  }
  Problems p;
  for (const SweepPoint& pt : points) {
    try {
      resolved.push_back(resolved_yaml(load_config(spec.base, pt.overrides())));
    } catch (const ConfigError& e) {
      for (const std::string& m : e.messages()) {
        bool named = false;
        for (const auto& [k, v] : pt.values) {
          const std::string origin = "--set " + k + "=" + v + ": ";
          if (m.rfind(origin, 0) == 0) {
            const auto loc = spec.value_locations.find(k + "=" + v);
            p.add(fmt::format("{}: axis {} value {}: {}",
                              loc != spec.value_locations.end() ? loc->second : spec.source, k, v,
                              m.substr(origin.size())));
            named = true;
          }
        }
        if (!named) {
          std::vector<std::string> kv;
          for (const auto& [k, v] : pt.values) kv.push_back(k + "=" + v);
          p.add(fmt::format("{}: point {} ({}): {}", spec.source, pt.id, join(kv, ", "), m));
        }
      }
    }
  }
  p.throw_if_any();
  return resolved;
}

}  // namespace dlasim::sim
