// The sweep's view of MPI (Boost.MPI on Open MPI, design.md §6): when `dlasim sweep` runs under `mpirun`, every
// rank runs the points whose index % size == rank with its own local pool; rank 0 alone simulates the shared
// baseline and writes the merged sweep.csv/sweep.json once every rank is done, so the result equals a local
// run's. Outside mpirun (no launcher environment) MPI is not initialised at all.
#pragma once

#include <memory>

namespace dlasim::sim {

class MpiWorld {
 public:
  // Initialises MPI when the process was started by mpirun (Open MPI's or a PMI launcher's environment);
  // otherwise a single-process world (rank 0 of 1) that never calls MPI.
  MpiWorld();
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  bool active() const { return impl_ != nullptr; }
  int rank() const;
  int size() const;
  void barrier() const;  // no-op when not active
  // Sum over the ranks of `value` (the local value when not active).
  long sum(long value) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlasim::sim
