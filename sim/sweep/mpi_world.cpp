#include "sim/sweep/mpi_world.hpp"

#include <cstdlib>
#include <functional>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

namespace dlasim::sim {

struct MpiWorld::Impl {
  boost::mpi::environment env;
  boost::mpi::communicator world;
};

MpiWorld::MpiWorld() {
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr;
  if (!launched) return;
  // The sweep forks its point processes; they never call MPI, so Open MPI's fork warning does not apply.
  setenv("OMPI_MCA_mpi_warn_on_fork", "0", 0);
  impl_ = std::make_unique<Impl>();
}

MpiWorld::~MpiWorld() = default;

int MpiWorld::rank() const { return impl_ ? impl_->world.rank() : 0; }
int MpiWorld::size() const { return impl_ ? impl_->world.size() : 1; }

void MpiWorld::barrier() const {
  if (impl_) impl_->world.barrier();
}

long MpiWorld::sum(long value) const {
  if (!impl_) return value;
  long total = 0;
  boost::mpi::all_reduce(impl_->world, value, total, std::plus<long>());
  return total;
}

}  // namespace dlasim::sim
