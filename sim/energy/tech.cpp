#include "sim/energy/tech.hpp"

#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "sim/input_error.hpp"

namespace dlasim::sim {

const std::map<std::string, std::string>& required_tech_entries() {
  static const std::map<std::string, std::string> entries = {
      {"int8_mult_energy", "pJ"},       {"int8_mult_area", "um2"},      {"int32_add_energy", "pJ"},
      {"int32_add_area", "um2"},        {"fp32_mult_energy", "pJ"},     {"fp32_mult_area", "um2"},
      {"fp32_add_energy", "pJ"},        {"fp32_add_area", "um2"},       {"fp32_recip_energy", "pJ"},
      {"fp32_recip_area", "um2"},       {"register_bit_energy", "pJ/bit"}, {"register_bit_area", "um2/bit"},
      {"sram_read_64b_8kib_energy", "pJ"}, {"sram_bit_area", "um2/bit"}, {"dram_bit_energy", "pJ/bit"},
      {"clock_bit_energy", "pJ/bit"},   {"leakage_power_density", "nW/um2"},
  };
  return entries;
}

namespace {

// A map key as text; a non-scalar key (`? [a, b]`) is named so, rather than failing the conversion.
std::string key_text(const YAML::Node& k) { return k.IsScalar() ? k.Scalar() : std::string("(a non-scalar key)"); }

std::string where(const std::string& path, const YAML::Node& n, const std::string& key) {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return fmt::format("{}: {}", path, key);
  return fmt::format("{}:{}:{}: {}", path, m.line + 1, m.column + 1, key);
}

TechEntry parse_entry(const std::string& path, const std::string& key, const YAML::Node& n,
                      const std::string& unit, std::vector<std::string>& errors) {
  TechEntry e;
  if (!n.IsMap()) {
    errors.push_back(where(path, n, "entries." + key) + ": expected a map with value, unit and source");
    return e;
  }
  for (const auto& kv : n) {
    const std::string field = key_text(kv.first);
    if (field != "value" && field != "unit" && field != "source") {
      errors.push_back(where(path, kv.first, "entries." + key + "." + field) + ": unknown key (expected value, unit, source)");
    }
  }
  try {
    e.value = n["value"].as<double>();
    if (!(e.value > 0.0)) throw YAML::Exception(YAML::Mark(), "not positive");
  } catch (const YAML::Exception&) {
    errors.push_back(where(path, n, "entries." + key + ".value") + ": expected a positive number");
  }
  e.unit = n["unit"] ? n["unit"].as<std::string>("") : "";
  if (e.unit != unit) {
    errors.push_back(where(path, n, "entries." + key + ".unit") +
                     fmt::format(": expected \"{}\", got \"{}\"", unit, e.unit));
  }
  e.source = n["source"] ? n["source"].as<std::string>("") : "";
  if (e.source.empty()) errors.push_back(where(path, n, "entries." + key + ".source") + ": expected a non-empty source");
  return e;
}

}  // namespace

namespace {

// A scale factor of a derived tech file: {value, source}.
struct Scale {
  double value = 1.0;
  std::string source;
};

Scale parse_scale(const std::string& path, const YAML::Node& n, const std::string& key, std::vector<std::string>& errors) {
  Scale s;
  if (!n) return s;
  if (!n.IsMap() || !n["value"] || !n["source"]) {
    errors.push_back(where(path, n, key) + ": expected a map with value and source");
    return s;
  }
  try {
    s.value = n["value"].as<double>();
    if (!(s.value > 0.0)) throw YAML::Exception(YAML::Mark(), "not positive");
  } catch (const YAML::Exception&) {
    errors.push_back(where(path, n, key + ".value") + ": expected a positive number");
  }
  s.source = n["source"].as<std::string>("");
  if (s.source.empty()) errors.push_back(where(path, n, key + ".source") + ": expected a non-empty source");
  return s;
}

bool is_area_unit(const std::string& unit) { return unit.rfind("um2", 0) == 0; }

Tech load_tech_file(const std::string& path, int depth) {
  if (std::filesystem::is_directory(path)) throw InputError(fmt::format("{}: is a directory, expected a tech file", path));
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw InputError(fmt::format("{}: cannot open the tech file", path));
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: {}", path, e.what()));
  }
  Tech tech;
  tech.path = path;
  std::vector<std::string> errors;
  if (!root.IsMap()) throw InputError(fmt::format("{}: expected a map with name, node_nm and entries", path));
  for (const auto& kv : root) {
    const std::string key = key_text(kv.first);
    if (key != "name" && key != "node_nm" && key != "entries" && key != "base" && key != "energy_scale" &&
        key != "area_scale") {
      errors.push_back(where(path, kv.first, key) +
                       ": unknown key (expected name, node_nm, base, energy_scale, area_scale, entries)");
    }
  }
  tech.name = root["name"] ? root["name"].as<std::string>("") : "";
  if (tech.name.empty()) errors.push_back(fmt::format("{}: name: expected a non-empty string", path));
  try {
    tech.node_nm = root["node_nm"].as<double>();
  } catch (const YAML::Exception&) {
    errors.push_back(fmt::format("{}: node_nm: expected a number (nm)", path));
  }
  const auto& required = required_tech_entries();
  // A derived file starts from its base's entries, each energy or area scaled, then overrides entries.
  if (root["base"]) {
    if (!root["base"].IsScalar() || root["base"].Scalar().empty()) {
      throw InputError(where(path, root["base"], "base") + ": expected the path of the base tech file");
    }
    if (depth >= 8) throw InputError(fmt::format("{}: base: more than 8 nested base files", path));
    const std::filesystem::path base = std::filesystem::path(path).parent_path() / root["base"].as<std::string>("");
    Tech parent;
    try {
      parent = load_tech_file(base.lexically_normal().string(), depth + 1);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", where(path, root["base"], "base"), e.what()));
    }
    const Scale energy = parse_scale(path, root["energy_scale"], "energy_scale", errors);
    const Scale area = parse_scale(path, root["area_scale"], "area_scale", errors);
    for (const auto& [key, e] : parent.entries) {
      const Scale& f = is_area_unit(e.unit) ? area : energy;
      TechEntry scaled = e;
      scaled.value = e.value * f.value;
      if (f.value != 1.0) scaled.source = fmt::format("{} (× {} from {}: {})", e.source, f.value, parent.name, f.source);
      tech.entries[key] = scaled;
    }
  } else if (root["energy_scale"] || root["area_scale"]) {
    errors.push_back(fmt::format("{}: energy_scale/area_scale need a base file to scale", path));
  }
  const YAML::Node entries = root["entries"];
  if (entries && !entries.IsMap()) {
    errors.push_back(fmt::format("{}: entries: expected a map of named entries", path));
  } else if (!entries && !root["base"]) {
    errors.push_back(fmt::format("{}: entries: expected a map of named entries", path));
  } else if (entries) {
    for (const auto& kv : entries) {
      const std::string key = key_text(kv.first);
      const auto it = required.find(key);
      if (it == required.end()) {
        errors.push_back(where(path, kv.first, "entries." + key) + ": unknown entry");
        continue;
      }
      tech.entries[key] = parse_entry(path, key, kv.second, it->second, errors);
    }
  }
  for (const auto& [key, unit] : required) {
    if (!tech.entries.count(key)) errors.push_back(fmt::format("{}: entries.{}: missing (unit {})", path, key, unit));
  }
  if (!errors.empty()) throw InputError(fmt::format("{}", fmt::join(errors, "\n")));
  return tech;
}

}  // namespace

Tech load_tech(const std::string& path) { return load_tech_file(path, 0); }

}  // namespace dlasim::sim
