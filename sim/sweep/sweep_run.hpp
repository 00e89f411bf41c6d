// `dlasim sweep`: runs the points of a sweep file (sweep_spec.hpp) as child processes `dlasim run BASE
// --set ... --out DIR/points/<id> --quiet` in a local pool, records each finished point in
// DIR/points/<id>/point.json (written atomically, last), skips finished points on a rerun and merges the
// results into DIR/sweep.csv and DIR/sweep.json (docs/sweeps.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sweep/sweep_spec.hpp"

namespace dlasim::sim {

struct SweepArgs {
  std::string file;           // the sweep YAML
  int jobs = 0;               // concurrent points; 0: the number of online cores
  std::string out;            // default: out/sweeps/<name>
  bool retry_failed = false;  // rerun points whose point.json says failed (default: keep their record)
  bool share_baseline = true;  // when only quant.* keys are swept, simulate the 8-bit baseline once
  std::string shard;           // "K/N": run only the points whose index % N == K (default: under mpirun the
                               // MPI rank and size, sim/sweep/mpi_world.hpp; else all points)
  bool list = false;          // print the points (id and overrides) after validating them; run nothing
  std::string exe;            // the dlasim executable run per point; default: /proc/self/exe
  double point_timeout = 0.0; // seconds a point may run before it is killed (SIGKILL) and recorded failed; 0: none
};

// The record of one point (point.json).
struct PointRecord {
  std::string status = "missing";  // "ok", "failed", or "missing" (not run yet)
  int exit_code = -1;              // the child's exit code; -1 when killed by a signal or not run
  int signal = 0;                  // the signal that ended the child, 0 if none
  std::string error;               // the tail of the child's stderr (and the signal), empty when ok
  double seconds = 0.0;            // wall time of the child (not merged: it varies between reruns)
};

nlohmann::ordered_json point_record_json(const SweepPoint& p, const PointRecord& r);
// The record in `dir`/point.json when it exists, parses and belongs to `p` (same values); else "missing".
PointRecord read_point_record(const std::string& dir, const SweepPoint& p);

// The merged tables; `out_dir` is where points/<id>/summary.json are read from. Rows in point order; a
// point that is not ok has empty result cells. Deterministic: no times, paths relative to out_dir.
std::string sweep_csv(const SweepSpec& spec, const std::vector<SweepPoint>& points,
                      const std::vector<PointRecord>& records, const std::string& out_dir);
nlohmann::ordered_json sweep_json(const SweepSpec& spec, const std::vector<SweepPoint>& points,
                                  const std::vector<PointRecord>& records, const std::string& out_dir);

// Runs the sweep; returns 0 when every point is ok, 1 when some failed. Throws InputError (exit 2) for a bad
// sweep file, axis value or option, before any point runs. `os` gets the closing summary line.
int run_sweep(const SweepArgs& args, std::ostream& os);

}  // namespace dlasim::sim
