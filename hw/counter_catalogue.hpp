// The one catalogue of the DLA's counters (design.md §5): every counter any block increments is declared here,
// once, with its unit, its kind (an action the energy model prices, or an event that is a statistic) and what
// it counts. Blocks register counters by name (Counters::add), the energy model prices every action of the
// catalogue, the area table follows its components, and the reports and validation read counters by the same
// names. A counter's component is its name without the last field ("pe.mac_lane.dot" → "pe.mac_lane").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hw/counters.hpp"

namespace dlasim::hw {

// Every counter, in the order reports list them.
const std::vector<CounterDecl>& counter_catalogue();

// The declaration of `name`; throws std::logic_error naming it when the catalogue has no such counter.
const CounterDecl& counter_decl(std::string_view name);

// Component of a counter name: everything before its last '.'.
std::string counter_component(std::string_view name);

}  // namespace dlasim::hw
