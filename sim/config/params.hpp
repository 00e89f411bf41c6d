// The declaration table of every configuration key: dotted key, type, unit, range and description, plus
// an accessor to the Config field. Defaults are not repeated here: they come from a default-constructed
// Config through the accessor. Loading (load.cpp), validation and docs/config.md are derived from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/config/config.hpp"

namespace dlasim::sim {

// Field kinds. Numeric ranges are inclusive unless stated otherwise.
struct IntParam {
  int& (*field)(Config&);
  int min;
  int max;
  bool allows_auto = false;  // the value `auto` is accepted and stored as 0 (min must then be > 0)
};
struct Uint64Param {  // any value in [0, 2^64 - 1]
  uint64_t& (*field)(Config&);
};
struct RealParam {  // finite; range [min, max], or (min, max] when min_exclusive
  double& (*field)(Config&);
  double min;
  double max;
  bool min_exclusive;
};
struct StringParam {  // always non-empty; name_chars restricts to [A-Za-z0-9._-]
  std::string& (*field)(Config&);
  bool name_chars;
};
struct EnumParam {  // exactly one of `choices`
  std::string& (*field)(Config&);
  std::vector<std::string> choices;
};
struct BoolParam {  // `true` or `false`
  bool& (*field)(Config&);
};
using ParamKind = std::variant<IntParam, Uint64Param, RealParam, StringParam, EnumParam, BoolParam>;

struct ParamDecl {
  std::string key;          // dotted, e.g. "arch.pes"; the part before the last dot is its section
  std::string unit;         // "-" when dimensionless
  std::string description;  // one sentence or two, Markdown
  ParamKind kind;

  // "int", "uint64", "double", "string", "enum" or "bool".
  std::string type_name() const;
  // What a valid value is, for error messages: e.g. "an integer in [1, 4096]".
  std::string expected() const;
  // Range or choices for the docs table: e.g. "[1, 4096]", "`per_channel`, `per_vector`".
  std::string range_text() const;
  // The field's value in `c` as a YAML scalar text (shortest round-trip form for doubles).
  std::string format(const Config& c) const;
  // Parses `text` and, if it is of the right type and in range, stores it into `c`. Otherwise leaves
  // `c` unchanged and returns `expected ..., got "text"`.
  std::optional<std::string> parse_into(Config& c, std::string_view text) const;
};

// Every key, in documentation order; keys of one section are contiguous.
const std::vector<ParamDecl>& param_decls();
// The declaration of `key`, or nullptr when no such key is declared.
const ParamDecl* find_param(std::string_view key);
// True when `path` is a section, i.e. a proper dotted prefix of some key ("quant", "quant.weights").
bool is_param_section(std::string_view path);
// The segments of a dotted key: "quant.weights.bits" -> {"quant", "weights", "bits"}.
std::vector<std::string> split_dotted(std::string_view key);
// The declared key or section closest to the unknown `path`, or "" when none is close: a key whose last
// segment equals path's last segment (a key put in the wrong section) wins, else the smallest edit
// distance up to max(2, last segment length / 3).
std::string closest_param(std::string_view path);
// `dlasim config --explain`: type, default, unit, range and description of `key`, or of every key under
// it when it is a section; nullopt when it is neither.
std::optional<std::string> explain_param(std::string_view key);

// One problem with a Config: the key it is reported on, other keys involved, and the message
// (without the key), e.g. {"arch.pes", {}, "expected an integer in [1, 4096], got \"0\""}.
struct ConfigIssue {
  std::string key;
  std::vector<std::string> related_keys;
  std::string message;
};
// Rules that involve more than one key (per_vector needs scale bits; scale product width).
std::vector<ConfigIssue> cross_field_issues(const Config& c);
// Every per-key range rule and every cross-field rule, for a Config built in code.
std::vector<ConfigIssue> validate_config(const Config& c);

// The content of docs/config.md: intro and one table per top-level section.
std::string config_reference_markdown();

}  // namespace dlasim::sim
