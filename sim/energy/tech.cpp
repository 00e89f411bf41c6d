#include "sim/energy/tech.hpp"

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
  };
  return entries;
}

namespace {

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
    const std::string field = kv.first.as<std::string>();
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

Tech load_tech(const std::string& path) {
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
    const std::string key = kv.first.as<std::string>();
    if (key != "name" && key != "node_nm" && key != "entries") {
      errors.push_back(where(path, kv.first, key) + ": unknown key (expected name, node_nm, entries)");
    }
  }
  tech.name = root["name"] ? root["name"].as<std::string>("") : "";
  if (tech.name.empty()) errors.push_back(fmt::format("{}: name: expected a non-empty string", path));
  try {
    tech.node_nm = root["node_nm"].as<double>();
  } catch (const YAML::Exception&) {
    errors.push_back(fmt::format("{}: node_nm: expected a number (nm)", path));
  }
  const YAML::Node entries = root["entries"];
  if (!entries || !entries.IsMap()) {
    errors.push_back(fmt::format("{}: entries: expected a map of named entries", path));
  } else {
    const auto& required = required_tech_entries();
    for (const auto& kv : entries) {
      const std::string key = kv.first.as<std::string>();
      const auto it = required.find(key);
      if (it == required.end()) {
        errors.push_back(where(path, kv.first, "entries." + key) + ": unknown entry");
        continue;
      }
      tech.entries[key] = parse_entry(path, key, kv.second, it->second, errors);
    }
    for (const auto& [key, unit] : required) {
      if (!tech.entries.count(key)) errors.push_back(fmt::format("{}: entries.{}: missing (unit {})", path, key, unit));
    }
  }
  if (!errors.empty()) throw InputError(fmt::format("{}", fmt::join(errors, "\n")));
  return tech;
}

}  // namespace dlasim::sim
