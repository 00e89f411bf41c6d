// Clock helpers: the model has no sc_clock; blocks advance time by whole cycles of `period`.
#pragma once

#include <cmath>
#include <cstdint>

#include <systemc>

namespace dlasim::hw {

// Clock period rounded to the SystemC time resolution (1 ps by default).
inline sc_core::sc_time clock_period(double clock_mhz) {
  return sc_core::sc_time(std::round(1.0e6 / clock_mhz), sc_core::SC_PS);
}

inline uint64_t to_cycles(const sc_core::sc_time& t, const sc_core::sc_time& period) {
  return t.value() / period.value();
}

// Suspends the calling thread until time t (no-op when t is not in the future).
inline void wait_until(const sc_core::sc_time& t) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (t > now) sc_core::wait(t - now);
}

}  // namespace dlasim::hw
