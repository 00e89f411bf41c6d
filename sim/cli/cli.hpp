// Command line of the dlasim executable. Exit codes: 0 success; 1 the run failed (bit-exact mismatch,
// internal error); 2 bad input (usage, config, layer table or tech file).
#pragma once

namespace dlasim::sim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitBadInput = 2;

int run_cli(int argc, char** argv);

}  // namespace dlasim::sim
