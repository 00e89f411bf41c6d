// A reader for the VCD files hw::WaveformRecorder writes (IEEE 1364-2005 §18, the subset it uses): nested
// module scopes, wire declarations, one $dumpvars block, then value changes under increasing time stamps.
// Anything else fails the calling Catch2 test.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace dlasim::test {

struct ParsedVcd {
  std::map<std::string, std::string> name_of_id;  // identifier code → dotted full name
  std::map<std::string, int> width;               // full name → bits
  std::map<std::string, uint64_t> dumpvars;       // full name → value at the first time stamp
  struct Change {
    uint64_t time;
    std::string name;
    uint64_t value;
  };
  std::vector<Change> changes;  // after $dumpvars, in file order
  uint64_t first_time = 0;
  uint64_t end_time = 0;  // the last time stamp
};

// Parses the token stream; fails the test on anything unexpected, on time stamps that do not increase,
// on a signal missing from (or repeated in) $dumpvars and on a change that does not change the value.
inline ParsedVcd parse_vcd(const std::string& text) {
  ParsedVcd p;
  std::istringstream in(text);
  std::string tok;
  std::vector<std::string> scope;
  auto skip_to_end = [&] {
    while (in >> tok && tok != "$end") {
    }
    REQUIRE(tok == "$end");
  };
  while (in >> tok && tok != "$enddefinitions") {
    if (tok == "$scope") {
      std::string kind, name;
      in >> kind >> name >> tok;
      REQUIRE(kind == "module");
      REQUIRE(tok == "$end");
      scope.push_back(name);
    } else if (tok == "$upscope") {
      in >> tok;
      REQUIRE(tok == "$end");
      REQUIRE(!scope.empty());
      scope.pop_back();
    } else if (tok == "$var") {
      std::string type, id, name;
      int width = 0;
      in >> type >> width >> id >> name;
      REQUIRE(type == "wire");
      std::string full;
      for (const std::string& s : scope) full += s + ".";
      full += name;
      REQUIRE(p.name_of_id.emplace(id, full).second);
      p.width[full] = width;
      skip_to_end();
    } else if (tok == "$timescale") {
      in >> tok;
      REQUIRE(tok == "1ps");
      skip_to_end();
    } else {
      REQUIRE((tok == "$version" || tok == "$comment"));
      skip_to_end();
    }
  }
  in >> tok;
  REQUIRE(tok == "$end");
  REQUIRE(scope.empty());

  std::map<std::string, uint64_t> current;
  bool in_dumpvars = false;
  bool have_time = false;
  uint64_t time = 0;
  auto value_of = [&](const std::string& bits, int width) {
    REQUIRE(!bits.empty());
    REQUIRE(static_cast<int>(bits.size()) <= width);
    REQUIRE((bits.size() == 1 || bits[0] == '1'));  // no leading zeros
    uint64_t v = 0;
    for (char c : bits) {
      REQUIRE((c == '0' || c == '1'));
      v = (v << 1) | static_cast<uint64_t>(c - '0');
    }
    return v;
  };
  auto change = [&](const std::string& id, uint64_t value) {
    REQUIRE(have_time);
    const auto it = p.name_of_id.find(id);
    REQUIRE(it != p.name_of_id.end());
    const std::string& name = it->second;
    if (in_dumpvars) {
      REQUIRE(p.dumpvars.emplace(name, value).second);
    } else {
      REQUIRE(current.at(name) != value);
      p.changes.push_back({time, name, value});
    }
    current[name] = value;
  };
  while (in >> tok) {
    if (tok[0] == '#') {
      const uint64_t t = std::stoull(tok.substr(1));
      if (have_time) REQUIRE(t > time);
      if (!have_time) p.first_time = t;
      time = t;
      have_time = true;
    } else if (tok == "$dumpvars") {
      REQUIRE(p.dumpvars.empty());
      in_dumpvars = true;
    } else if (tok == "$end") {
      REQUIRE(in_dumpvars);
      REQUIRE(p.dumpvars.size() == p.name_of_id.size());
      in_dumpvars = false;
    } else if (tok[0] == 'b') {
      std::string id;
      in >> id;
      REQUIRE(p.name_of_id.count(id) == 1);
      change(id, value_of(tok.substr(1), p.width.at(p.name_of_id.at(id))));
    } else {
      REQUIRE((tok[0] == '0' || tok[0] == '1'));
      const std::string id = tok.substr(1);
      REQUIRE(p.name_of_id.count(id) == 1);
      REQUIRE(p.width.at(p.name_of_id.at(id)) == 1);
      change(id, static_cast<uint64_t>(tok[0] - '0'));
    }
  }
  REQUIRE(!in_dumpvars);
  p.end_time = time;
  return p;
}

// Every signal's value at each cycle of the file: index i is cycle first_time / period_ps + i, up to the cycle
// before end_time. Fails the test if a time stamp is not a whole number of cycles.
inline std::map<std::string, std::vector<uint64_t>> values_by_cycle(const ParsedVcd& p, uint64_t period_ps) {
  REQUIRE(p.first_time % period_ps == 0);
  REQUIRE(p.end_time % period_ps == 0);
  const uint64_t first = p.first_time / period_ps, cycles = p.end_time / period_ps - first;
  std::map<std::string, std::vector<uint64_t>> values;
  for (const auto& [name, value] : p.dumpvars) values[name].reserve(cycles);
  std::map<std::string, uint64_t> current = p.dumpvars;
  for (const ParsedVcd::Change& c : p.changes) {  // in time order
    REQUIRE(c.time % period_ps == 0);
    std::vector<uint64_t>& v = values.at(c.name);
    v.resize(c.time / period_ps - first, current.at(c.name));
    current[c.name] = c.value;
  }
  for (auto& [name, v] : values) v.resize(cycles, current.at(name));
  return values;
}

}  // namespace dlasim::test
