// Named action and event counters of one DLA instance (design.md §5). Each block registers its counters
// once, with unit and description, and increments them in hot paths through a plain index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dlasim::hw {

enum class CounterKind {
  action,  // costs energy: the energy model must have a cost entry for it
  event,   // a statistic (stall cycles, saturations): no energy of its own
};

struct CounterDecl {
  std::string name;  // <component>.<action>, e.g. "pe.mac_lane.dot"
  std::string unit;
  std::string description;
  CounterKind kind;
};

using CounterId = std::size_t;

class Counters {
 public:
  // Registers a counter; throws std::logic_error if the name is already registered.
  CounterId add(std::string name, std::string unit, std::string description, CounterKind kind);
  void inc(CounterId id, uint64_t n = 1) { values_[id] += n; }
  const std::vector<CounterDecl>& decls() const { return decls_; }
  const std::vector<uint64_t>& values() const { return values_; }

 private:
  std::vector<CounterDecl> decls_;
  std::vector<uint64_t> values_;
};

}  // namespace dlasim::hw
