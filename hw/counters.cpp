#include "hw/counters.hpp"

#include <stdexcept>

namespace dlasim::hw {

CounterId Counters::add(std::string name, std::string unit, std::string description, CounterKind kind) {
  for (const CounterDecl& d : decls_) {
    if (d.name == name) throw std::logic_error("counter registered twice: " + name);
  }
  decls_.push_back({std::move(name), std::move(unit), std::move(description), kind});
  values_.push_back(0);
  return decls_.size() - 1;
}

}  // namespace dlasim::hw
