// Error in a user-supplied input file (layer table, tech file): the message names the file, the line or
// key, and what was expected. The CLI maps it, like ConfigError, to exit code 2.
#pragma once

#include <stdexcept>
#include <string>

namespace dlasim::sim {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dlasim::sim
