// Loading a Config from YAML plus --set overrides, with every error reported at once.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "sim/config/config.hpp"

namespace dlasim::sim {

// All problems found in one configuration. Each message reads
// `<source>[:line:column]: <dotted.key>: <what was expected>, got <what was found>`, where source is
// the file (or source name) or `--set key=value` for an override. what() joins the messages with '\n'.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> messages);
  const std::vector<std::string>& messages() const;

 private:
  std::vector<std::string> messages_;
};

// Reads the YAML file at `path` with the files its top-level `include:` names (one path or a list, relative
// to the including file; loaded first, in order, recursively, each overriding the previous; cycles are
// errors), then the file's own keys, then `overrides` ("dotted.key=value", value read as a YAML scalar,
// missing maps created); converts and validates. Keys not given keep their defaults; config_dir is the
// file's directory ("." for a bare file name), and a relative path value (unit "path") of an included file
// is rewritten relative to it. Throws ConfigError on any problem, including an unreadable file or a YAML
// syntax error in any of the files.
Config load_config(const std::string& path, const std::vector<std::string>& overrides);

// As load_config, for YAML text already in memory: `source_name` prefixes error messages, `config_dir` is
// stored into the result unchanged and its includes are relative to `config_dir`.
Config load_config_text(const std::string& yaml_text, const std::string& source_name,
                        const std::string& config_dir, const std::vector<std::string>& overrides);

// Every declared key with its value in `c`, as nested YAML maps in table order; deterministic, and
// load_config_text() of it gives back the same values. config_dir is not a key and is not written.
std::string resolved_yaml(const Config& c);

}  // namespace dlasim::sim
