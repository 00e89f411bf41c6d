// Named action and event counters of one DLA instance (design.md §5). Each block registers its counters
// once, with unit and description, and increments them in hot paths through a plain index.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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
  // Registers the counter `name` of the catalogue (hw/counter_catalogue.hpp), which gives its unit, kind and
  // description; throws std::logic_error if the name is not in the catalogue or already registered.
  CounterId add(std::string_view name);
  void inc(CounterId id, uint64_t n = 1) { values_[id] += n; }
  const std::vector<CounterDecl>& decls() const { return decls_; }
  const std::vector<uint64_t>& values() const { return values_; }

 private:
  std::vector<CounterDecl> decls_;
  std::vector<uint64_t> values_;
};

}  // namespace dlasim::hw
