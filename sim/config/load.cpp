#include "sim/config/load.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "sim/config/params.hpp"

namespace dlasim::sim {
namespace {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(key.substr(start, dot - start));
  }
  parts.push_back(key.substr(start));
  return parts;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean X?)" for the declared key or section closest to `path`, or "" if none is close:
// a key whose last segment equals path's last segment (a key put in the wrong section) wins, else the
// smallest edit distance up to max(2, last segment length / 3).
std::string suggestion(const std::string& path) {
  const std::string last = split_key(path).back();
  std::vector<std::string> candidates;
  for (const auto& d : param_decls()) {
    for (size_t dot = d.key.find('.'); dot != std::string::npos; dot = d.key.find('.', dot + 1)) {
      candidates.push_back(d.key.substr(0, dot));
    }
    candidates.push_back(d.key);
  }
  for (const auto& c : candidates) {
    if (c != path && split_key(c).back() == last) return fmt::format(" (did you mean {}?)", c);
  }
  std::string best;
  size_t best_distance = std::max<size_t>(2, last.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(path, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? "" : fmt::format(" (did you mean {}?)", best);
}

// "source:line:column" (1-based), or the source alone when the mark is unknown.
std::string mark_location(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null()) return source;
  return fmt::format("{}:{}:{}", source, mark.line + 1, mark.column + 1);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return fmt::format("\"{}\"", node.Scalar());
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a sequence";
    default:
      return "nothing";
  }
}

// Converts one merged YAML tree (file + overrides) into a Config, collecting every error.
class Converter {
 public:
  explicit Converter(std::string source) : source_(std::move(source)) {}

  // Applies one "--set key=value" on top of `root` (a map), creating missing maps.
  void apply_override(YAML::Node& root, const std::string& text) {
    const std::string origin = "--set " + text;
    const auto eq = text.find('=');
    const std::string key = trim(text.substr(0, eq));
    if (eq == std::string::npos || key.empty()) return error(origin, "", "expected key=value");
    const auto parts = split_key(key);
    if (std::count(parts.begin(), parts.end(), "") > 0) {
      return error(origin, "", fmt::format("invalid key \"{}\"", key));
    }
    YAML::Node value;
    try {
      value = YAML::Load(text.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      return error(origin, key, "invalid YAML value: " + e.msg);
    }
    if (value.IsMap() || value.IsSequence()) {
      return error(origin, key, "expected a scalar value, got " + describe(value));
    }
    YAML::Node map = root;
    std::string path;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      path += (i ? "." : "") + parts[i];
      YAML::Node next = map[parts[i]];
      if (!next.IsMap()) {
        next = YAML::Node(YAML::NodeType::Map);  // assignment through the entry replaces it in `map`
        origin_[path] = origin;
      }
      map.reset(next);  // rebinds `map` only; operator= would overwrite the parent's entry
    }
    YAML::Node leaf = map[parts.back()];
    leaf = value;
    origin_[key] = origin;
  }

  // Converts `root` into config(); problems go to errors().
  void convert(const YAML::Node& root) {
    convert_map(root, "", "");
    for (const auto& issue : cross_field_issues(config_)) {
      bool involves_bad_key = bad_keys_.count(issue.key) > 0;
      for (const auto& k : issue.related_keys) involves_bad_key |= bad_keys_.count(k) > 0;
      if (involves_bad_key) continue;  // already reported through that key
      std::string loc = source_;
      if (key_location_.count(issue.key)) {
        loc = key_location_[issue.key];
      } else {
        for (const auto& k : issue.related_keys) {
          if (key_location_.count(k)) {
            loc = key_location_[k];
            break;
          }
        }
      }
      error(loc, issue.key, issue.message);
    }
  }

  void error(const std::string& loc, const std::string& key, const std::string& message) {
    errors_.push_back(key.empty() ? fmt::format("{}: {}", loc, message)
                                  : fmt::format("{}: {}: {}", loc, key, message));
  }

  Config& config() { return config_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  // "--set k=v" for nodes set or created by an override, else the node's place in the file.
  std::string location(const YAML::Mark& mark, const std::string& origin) const {
    return origin.empty() ? mark_location(source_, mark) : origin;
  }

  void convert_map(const YAML::Node& node, const std::string& path, const std::string& origin) {
    if (node.IsNull()) return;  // an empty section keeps its defaults
    if (!node.IsMap()) {
      const std::string what = path.empty() ? "a map of sections at the top level" : "a map";
      return error(location(node.Mark(), origin), path,
                   fmt::format("expected {}, got {}", what, describe(node)));
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const YAML::Node& key_node = kv.first;
      if (!key_node.IsScalar()) {
        error(location(key_node.Mark(), origin), path, "expected a key name, got " + describe(key_node));
        continue;
      }
      const std::string name = key_node.Scalar();
      const std::string child = path.empty() ? name : path + "." + name;
      const auto it = origin_.find(child);
      const std::string child_origin = it != origin_.end() ? it->second : origin;
      const std::string key_loc = location(key_node.Mark(), child_origin);
      if (!seen.insert(name).second) {
        error(key_loc, child, "duplicate key");
      } else if (const ParamDecl* decl = find_param(child)) {
        const YAML::Mark mark = kv.second.IsNull() ? key_node.Mark() : kv.second.Mark();
        convert_leaf(*decl, kv.second, location(mark, child_origin));
      } else if (is_param_section(child)) {
        convert_map(kv.second, child, child_origin);
      } else {
        error(key_loc, child, "unknown key" + suggestion(child));
      }
    }
  }

  void convert_leaf(const ParamDecl& decl, const YAML::Node& value, const std::string& loc) {
    key_location_[decl.key] = loc;
    std::optional<std::string> problem;
    if (value.IsScalar()) {
      problem = decl.parse_into(config_, value.Scalar());
    } else {
      problem = fmt::format("expected {}, got {}", decl.expected(), describe(value));
    }
    if (problem) {
      bad_keys_.insert(decl.key);
      error(loc, decl.key, *problem);
    }
  }

  std::string source_;
  Config config_;
  std::map<std::string, std::string> origin_;        // dotted path set or created by --set -> "--set k=v"
  std::map<std::string, std::string> key_location_;  // key -> location of its value
  std::set<std::string> bad_keys_;                   // keys whose own value was rejected
  std::vector<std::string> errors_;
};

}  // namespace

ConfigError::ConfigError(std::vector<std::string> messages)
    : std::runtime_error(join_lines(messages)), messages_(std::move(messages)) {}

const std::vector<std::string>& ConfigError::messages() const {
  return messages_;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError({fmt::format("{}: cannot read config file: is a directory", path)});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError({fmt::format("{}: cannot read config file: {}", path, std::strerror(errno))});
  std::ostringstream text;
  text << in.rdbuf();
  std::string dir = std::filesystem::path(path).parent_path().string();
  return load_config_text(text.str(), path, dir.empty() ? "." : dir, overrides);
}

Config load_config_text(const std::string& yaml_text, const std::string& source_name,
                        const std::string& config_dir, const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError({fmt::format("{}: YAML syntax error: {}", mark_location(source_name, e.mark), e.msg)});
  }

  Converter converter(source_name);
  if (!root.IsNull() && !root.IsMap()) {
    converter.error(mark_location(source_name, root.Mark()), "",
                    "expected a map of sections at the top level, got " + describe(root));
  }
  if (!root.IsMap()) root.reset(YAML::Node(YAML::NodeType::Map));  // empty file, or reported above
  for (const auto& text : overrides) converter.apply_override(root, text);
  converter.convert(root);
  if (!converter.errors().empty()) throw ConfigError(converter.errors());

  Config config = converter.config();
  config.config_dir = config_dir;
  return config;
}

std::string resolved_yaml(const Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::vector<std::string> open;  // sections currently open, outermost first
  for (const auto& d : param_decls()) {
    auto parts = split_key(d.key);
    const std::string name = parts.back();
    parts.pop_back();
    size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
    for (; open.size() > common; open.pop_back()) out << YAML::EndMap;
    for (; open.size() < parts.size(); open.push_back(parts[open.size()])) {
      out << YAML::Key << parts[open.size()] << YAML::Value << YAML::BeginMap;
    }
    out << YAML::Key << name << YAML::Value << d.format(c);
  }
  for (; !open.empty(); open.pop_back()) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace dlasim::sim
