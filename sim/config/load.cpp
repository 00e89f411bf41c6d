#include "sim/config/load.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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

// The top-level key naming the files a config file is composed of.
const char* const kIncludeKey = "include";

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// " (did you mean X?)" for the declared key or section closest to `path` (closest_param), or "".
std::string suggestion(const std::string& path) {
  const std::string best = closest_param(path);
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

// Converts the layers of a configuration (included files in order, then the top file with the overrides
// applied to its tree) into one Config, collecting every error; a later layer's key overrides an earlier's.
class Converter {
 public:
  // The next trees given to convert_layer() come from `source`; relative path values in them are relative
  // to `path_base`, the directory of that file relative to the top file's directory ("" for the top file).
  void set_layer(std::string source, std::string path_base) {
    source_ = std::move(source);
    path_base_ = std::move(path_base);
  }

  // Applies one "--set key=value" on top of `root` (a map), creating missing maps.
  void apply_override(YAML::Node& root, const std::string& text) {
    const std::string origin = "--set " + text;
    const auto eq = text.find('=');
    const std::string key = trim(text.substr(0, eq));
    if (eq == std::string::npos || key.empty()) return error(origin, "", "expected key=value");
    const auto parts = split_dotted(key);
    if (std::count(parts.begin(), parts.end(), "") > 0) {
      return error(origin, "", fmt::format("invalid key \"{}\"", key));
    }
    if (parts[0] == kIncludeKey) return error(origin, key, "allowed only in config files, not in --set");
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

  // Converts the tree of one layer (the source set by set_layer) into config(); problems go to errors().
  void convert_layer(const YAML::Node& root) { convert_map(root, "", ""); }

  // Checks the rules between keys on the final values, once every layer is converted.
  void finish() {
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

  // A message that already carries its location.
  void error_line(const std::string& message) { errors_.push_back(message); }

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
      if (path.empty() && name == kIncludeKey) {
        if (!seen.insert(name).second) error(location(key_node.Mark(), origin), name, "duplicate key");
        continue;  // resolved before conversion (collect_layers)
      }
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
      problem = decl.parse_into(config_, rebase_path(decl, value.Scalar()));
    } else {
      problem = fmt::format("expected {}, got {}", decl.expected(), describe(value));
    }
    if (problem) {
      bad_keys_.insert(decl.key);
      error(loc, decl.key, *problem);
    }
  }

  // A relative path value of an included file, made relative to the top file's directory (the directory
  // every path value of a Config is relative to); other values unchanged.
  std::string rebase_path(const ParamDecl& decl, const std::string& value) const {
    if (decl.unit != "path" || path_base_.empty() || value.empty() || value == "none") return value;
    const std::filesystem::path p(value);
    if (p.is_absolute()) return value;
    return (std::filesystem::path(path_base_) / p).lexically_normal().generic_string();
  }

  std::string source_;
  std::string path_base_;
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

namespace {

// Reads a whole file; nullopt with `reason` set when it cannot be read.
std::optional<std::string> read_text(const std::string& path, std::string& reason) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    reason = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One file of a configuration: its name in messages, its parsed tree (a map), the directory its include
// paths are relative to and, relative to the top file's directory, the base of its relative path values.
struct Layer {
  std::string source;
  YAML::Node root;
  std::string dir;
  std::string path_base;
};

// Parses `text` of file `source` into a map tree; an empty document is an empty map. A syntax error or a
// top level that is not a map is recorded in `errors` and gives nullopt.
std::optional<YAML::Node> parse_tree(const std::string& text, const std::string& source,
                                     std::vector<std::string>& errors) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors.push_back(fmt::format("{}: YAML syntax error: {}", mark_location(source, e.mark), e.msg));
    return std::nullopt;
  }
  if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    errors.push_back(fmt::format("{}: expected a map of sections at the top level, got {}",
                                 mark_location(source, root.Mark()), describe(root)));
    return std::nullopt;
  }
  return root;
}

// Appends to `layers` the files `layer` includes, recursively and in order (each included file after
// the files it includes itself), but not `layer`. `chain` holds the files being included, outermost first
// (canonical path, name in messages), for cycle detection.
void collect_includes(const Layer& layer, std::vector<std::pair<std::string, std::string>>& chain,
                      std::vector<Layer>& layers, std::vector<std::string>& errors) {
  const YAML::Node inc = layer.root[kIncludeKey];
  if (!inc) return;
  // One path, or a list of paths; anything else is reported with the first offending node.
  std::vector<YAML::Node> entries;
  std::optional<YAML::Node> offender;
  if (inc.IsScalar()) {
    entries.push_back(inc);
  } else if (inc.IsSequence()) {
    for (const auto& e : inc) entries.push_back(e);
  }
  for (const auto& e : entries) {
    if (!offender && !(e.IsScalar() && !e.Scalar().empty())) offender = e;
  }
  if (!inc.IsScalar() && !inc.IsSequence()) offender = inc;
  if (offender) {
    const std::string got = inc.IsSequence() ? "a sequence with " + describe(*offender) : describe(inc);
    YAML::Mark mark = inc.Mark();
    if (inc.IsNull()) {  // a null value has no useful mark: point at its key
      for (const auto& kv : layer.root) {
        if (kv.first.IsScalar() && kv.first.Scalar() == kIncludeKey) mark = kv.first.Mark();
      }
    }
    errors.push_back(fmt::format("{}: include: expected a file path or a list of file paths, got {}",
                                 mark_location(layer.source, mark), got));
    return;
  }
  for (const YAML::Node& entry : entries) {
    const std::string loc = mark_location(layer.source, entry.Mark());
    const std::filesystem::path value(entry.Scalar());
    const std::string path = value.is_absolute()
                                 ? value.lexically_normal().string()
                                 : (std::filesystem::path(layer.dir) / value).lexically_normal().string();
    std::error_code ec;
    std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
    if (ec) canonical = path;
    const auto in_chain =
        std::find_if(chain.begin(), chain.end(), [&](const auto& c) { return c.first == canonical; });
    if (in_chain != chain.end()) {
      std::string names;
      for (auto it = in_chain; it != chain.end(); ++it) names += it->second + " -> ";
      errors.push_back(fmt::format("{}: include: include cycle: {}{}", loc, names, path));
      continue;
    }
    std::string reason;
    const auto text = read_text(path, reason);
    if (!text) {
      errors.push_back(fmt::format("{}: include: cannot read config file {}: {}", loc, path, reason));
      continue;
    }
    const auto root = parse_tree(*text, path, errors);
    if (!root) continue;
    const std::string dir = std::filesystem::path(path).parent_path().string();
    const std::filesystem::path base_path = value.is_absolute()
                                                ? std::filesystem::path(path).parent_path()
                                                : std::filesystem::path(layer.path_base) / value.parent_path();
    const std::string base = base_path.lexically_normal().generic_string();
    Layer included{path, *root, dir.empty() ? "." : dir, base == "." ? "" : base};
    chain.emplace_back(canonical, path);
    collect_includes(included, chain, layers, errors);
    chain.pop_back();
    layers.push_back(std::move(included));
  }
}

// Loads the top file `source` (text already read, includes relative to `dir`) with its included files.
Config load_layers(const std::string& yaml_text, const std::string& source, const std::string& dir,
                   const std::string& config_dir, const std::vector<std::string>& overrides) {
  std::vector<std::string> errors;
  const auto root = parse_tree(yaml_text, source, errors);
  if (!root) throw ConfigError(errors);  // nothing of the file can be trusted
  Layer top{source, *root, dir, ""};
  std::vector<Layer> layers;
  std::error_code ec;
  std::string canonical = std::filesystem::weakly_canonical(source, ec).string();
  if (ec) canonical = source;
  std::vector<std::pair<std::string, std::string>> chain{{canonical, source}};
  collect_includes(top, chain, layers, errors);

  Converter converter;
  for (const auto& e : errors) converter.error_line(e);
  for (const Layer& layer : layers) {
    converter.set_layer(layer.source, layer.path_base);
    converter.convert_layer(layer.root);
  }
  converter.set_layer(source, "");
  YAML::Node top_root = top.root;
  for (const auto& text : overrides) converter.apply_override(top_root, text);
  converter.convert_layer(top_root);
  converter.finish();
  if (!converter.errors().empty()) throw ConfigError(converter.errors());

  Config config = converter.config();
  config.config_dir = config_dir;
  return config;
}

}  // namespace

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::string reason;
  const auto text = read_text(path, reason);
  if (!text) throw ConfigError({fmt::format("{}: cannot read config file: {}", path, reason)});
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return load_layers(*text, path, dir, dir, overrides);
}

Config load_config_text(const std::string& yaml_text, const std::string& source_name,
                        const std::string& config_dir, const std::vector<std::string>& overrides) {
  return load_layers(yaml_text, source_name, config_dir, config_dir, overrides);
}

std::string resolved_yaml(const Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::vector<std::string> open;  // sections currently open, outermost first
  for (const auto& d : param_decls()) {
    auto parts = split_dotted(d.key);
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
