#include "sim/energy/area_instances.hpp"

#include <map>

namespace dlasim::sim {

int64_t ComponentInstances::count() const {
  int64_t n = 1;
  for (const int64_t k : per_level) n *= k;
  return n;
}

ComponentInstances component_instances(const std::string& component, const hw::ArchParams& a) {
  const std::map<std::string, std::vector<int64_t>> known = {
      {"pe.mac_lane", {a.pes, a.lanes}}, {"pe.scale_unit", {a.pes, a.lanes}}, {"pe.collector", {a.pes, a.lanes}},
      {"pe.wbuf", {a.pes, 1}},           {"pe.ibuf", {a.pes, 1}},             {"gbuf", {a.gbuf_banks}},
      {"ppu", {a.pes}},                  {"pe.control", {a.pes, a.lanes}},
  };
  const auto it = known.find(component);
  if (it != known.end()) return {component, it->second};
  ComponentInstances single{component, {}};
  for (std::size_t pos = 0;; ++pos) {
    single.per_level.push_back(1);
    pos = component.find('.', pos);
    if (pos == std::string::npos) break;
  }
  return single;
}

}  // namespace dlasim::sim
