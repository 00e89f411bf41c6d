// Sweep files (docs/sweeps.md): a base config plus axes of config keys with lists of values, optionally
// zipped in groups; the points are the cartesian product of the axes in a fixed order, each the base config
// with `--set key=value` overrides. Parsing, expansion, point ids and up-front validation live here; running
// the points is sweep_run.hpp.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace dlasim::sim {

// One axis of the product: a single key, or a zip group of keys whose value lists have the same length.
// values[i] is the i-th tuple, one value (YAML scalar text) per key.
struct SweepAxis {
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values;
};

struct SweepSpec {
  std::string source;              // the sweep file as given (error messages)
  std::string name;                // `name:` or the sweep file's stem
  std::string base;                // the base config, resolved against the sweep file's directory
  std::vector<std::string> keys;   // every swept key, in the order of `axes:` (the columns of sweep.csv)
  std::vector<SweepAxis> axes;     // in the order of their first key in `axes:`; the last varies fastest
  std::map<std::string, std::string> value_locations;  // "key=value" -> "file:line:column" of the value
  bool accuracy = false;           // `accuracy: true`: every point also runs `dlasim eval` (eval.json, top-1 columns)
};

struct SweepPoint {
  std::size_t index = 0;                                   // 0-based position in expansion order
  std::string id;                                          // directory name under points/ (point_id)
  std::vector<std::pair<std::string, std::string>> values; // key -> value, in SweepSpec::keys order

  // "key=value" for load_config and `dlasim run --set`.
  std::vector<std::string> overrides() const;
};

// Parses sweep YAML text; `sweep_dir` is the directory `base:` is relative to. Throws InputError listing
// every problem, each prefixed with `source[:line:column]: `.
SweepSpec parse_sweep_text(const std::string& text, const std::string& source, const std::string& sweep_dir);
// Reads and parses the sweep file at `path`.
SweepSpec load_sweep(const std::string& path);

// The points in expansion order: the cartesian product of the axes, the first axis slowest (nested loops
// in `axes:` order), a zip group advancing its keys together.
std::vector<SweepPoint> expand_points(const SweepSpec& spec);

// "p<index>-<values>": the 0-based index zero-padded to the width of the largest index (at least 3 digits),
// then the values in key order joined by '_', each character outside [A-Za-z0-9.+-] replaced by '-',
// the value part cut to 60 characters. Unique through the index; stable while the sweep file is unchanged.
std::string point_id(std::size_t index, std::size_t total, const std::vector<std::string>& values);

// Loads the base config with each point's overrides (the `dlasim run --set` path, so every key and value
// rule applies); throws InputError naming the sweep file, the axis key and the value of every bad point.
// Returns resolved_yaml() of the base config followed by that of each point (what config.resolved.yaml of
// their runs holds), to tell a finished point from one of an edited base config.
std::vector<std::string> validate_points(const SweepSpec& spec, const std::vector<SweepPoint>& points);

}  // namespace dlasim::sim
