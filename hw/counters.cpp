#include "hw/counters.hpp"

#include "hw/counter_catalogue.hpp"

#include <stdexcept>

namespace dlasim::hw {

CounterId Counters::add(std::string_view name) {
  for (const CounterDecl& d : decls_) {
    if (d.name == name) throw std::logic_error("counter registered twice: " + d.name);
  }
  decls_.push_back(counter_decl(name));
  values_.push_back(0);
  return decls_.size() - 1;
}

}  // namespace dlasim::hw
