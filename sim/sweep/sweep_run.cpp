#include "sim/sweep/sweep_run.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "sim/input_error.hpp"
#include "sim/report/report.hpp"
#include "sim/sweep/mpi_world.hpp"

namespace dlasim::sim {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kErrorTailBytes = 2000;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The last lines of `text`, at most kErrorTailBytes, without a trailing newline.
std::string tail(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.size() <= kErrorTailBytes) return text;
  std::size_t from = text.size() - kErrorTailBytes;
  const std::size_t nl = text.find('\n', from);
  if (nl != std::string::npos && nl + 1 < text.size()) from = nl + 1;
  return text.substr(from);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

// A point's merged results: the summary.json of an ok point, else null.
ordered_json point_results(const std::string& out_dir, const SweepPoint& p, const PointRecord& r) {
  if (r.status != "ok") return nullptr;
  const std::string path = out_dir + "/points/" + p.id + "/summary.json";
  ordered_json s;
  try {
    s = ordered_json::parse(read_file(path));
  } catch (const std::exception&) {
    return nullptr;
  }
  ordered_json j;
  for (const char* side : {"design", "baseline"}) {
    const ordered_json& d = s.at(side);
    j[side] = {{"label", d.at("label")},       {"cycles", d.at("cycles")},     {"energy_pj", d.at("energy_pj")},
               {"area_um2", d.at("area_um2")}, {"sqnr_db", d.at("sqnr_db")},   {"tops_per_w", d.at("tops_per_w")},
               {"achieved_tops_per_mm2", d.at("achieved_tops_per_mm2")}};
  }
  const std::string eval_path = out_dir + "/points/" + p.id + "/eval.json";
  if (fs::exists(eval_path)) {
    try {
      const ordered_json e = ordered_json::parse(read_file(eval_path));
      j["accuracy"] = {{"top1", e.at("top1")}, {"fp32_top1", e.at("fp32_top1")}, {"top1_drop_pt", e.at("top1_drop_pt")},
                       {"weight_bits", e.at("weight_bits")}};
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  const ordered_json& q = s.at("ratio_to_baseline");
  j["ratio_to_baseline"] = {{"cycles", q.at("cycles")},
                            {"energy", q.at("energy")},
                            {"area", q.at("area")},
                            {"energy_per_op", q.at("energy_per_op")},
                            {"tops_per_w", q.at("tops_per_w")},
                            {"achieved_tops_per_mm2", q.at("achieved_tops_per_mm2")}};
  return j;
}

struct Running {
  std::size_t todo_index;
  Clock::time_point start;
  bool timed_out = false;  // killed by the sweep for exceeding --point-timeout
};

// Kills (SIGKILL) every running point older than `limit_s` seconds (0: no limit) and marks it timed out.
void kill_overdue(std::map<pid_t, Running>& running, double limit_s) {
  if (limit_s <= 0.0) return;
  for (auto& [pid, r] : running) {
    if (!r.timed_out && std::chrono::duration<double>(Clock::now() - r.start).count() > limit_s) {
      kill(pid, SIGKILL);
      r.timed_out = true;
    }
  }
}

// The operand cache the sweep's runs share: DIR/operand_cache, DIR being the sweep directory two levels
// above a point's (DIR/points/<id>) or one above the shared baseline's (DIR/baseline).
std::string operand_cache_dir(const std::string& run_dir) {
  const fs::path p(run_dir);
  const fs::path sweep = p.parent_path().filename() == "points" ? p.parent_path().parent_path() : p.parent_path();
  return (sweep / "operand_cache").string();
}

// The command line of one point: `dlasim run` with the point's overrides, or `dlasim sweep-point` taking the
// baseline from `shared_baseline` when that is not empty.
std::vector<std::string> point_command(const std::string& exe, const SweepSpec& spec, const SweepPoint& p,
                                       const std::string& dir, const std::string& shared_baseline) {
  const bool point_cmd = !shared_baseline.empty() || spec.accuracy;
  std::vector<std::string> args = {exe, point_cmd ? "sweep-point" : "run", spec.base};
  for (const std::string& o : p.overrides()) {
    args.push_back("--set");
    args.push_back(o);
  }
  args.insert(args.end(), {"--out", dir, "--operand-cache", operand_cache_dir(dir)});
  if (!point_cmd) args.push_back("--quiet");
  if (!shared_baseline.empty()) args.insert(args.end(), {"--baseline", shared_baseline});
  if (spec.accuracy) args.push_back("--accuracy");
  return args;
}

// The resolved path of the running executable (argv[0] of the children).
const std::string& self_exe_name() {
  static const std::string name = fs::read_symlink("/proc/self/exe").string();
  return name;
}

// Forks and execs `args`; stdout goes to /dev/null, stderr to `err_path`.
pid_t spawn(std::vector<std::string> args, const std::string& err_path) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_WRONLY);
    const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (null_fd >= 0) dup2(null_fd, STDOUT_FILENO);
    if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
    // /proc/self/exe still names this program when its file was replaced (rebuilt) during the sweep.
    execv(args[0] == self_exe_name() ? "/proc/self/exe" : argv[0], argv.data());
    const std::string msg = std::string("dlasim sweep: cannot execute ") + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!write(STDERR_FILENO, msg.data(), msg.size());
    _exit(127);
  }
  return pid;
}

// Waits for `pid`; its exit code, or -1 when it was killed by a signal.
int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// True when the 8-bit baseline is the same for every point: only quantization keys are swept (the baseline
// fixes its own INT8 formats and shares everything else with the base config).
bool baseline_is_shared(const SweepSpec& spec) {
  for (const std::string& k : spec.keys) {
    if (k.rfind("quant.", 0) != 0) return false;
  }
  return true;
}

struct Shard {
  long index = 0, count = 1;
};

// --shard K/N, else 0/1 (under mpirun, run_sweep takes the MPI rank and size instead).
Shard shard_of(const std::string& text) {
  Shard s;
  if (!text.empty()) {
    const auto slash = text.find('/');
    char* end = nullptr;
    bool good = slash != std::string::npos;
    if (good) {
      s.index = std::strtol(text.c_str(), &end, 10);
      good = end == text.c_str() + slash;
      s.count = std::strtol(text.c_str() + slash + 1, &end, 10);
      good = good && *end == '\0' && slash + 1 < text.size() && s.count >= 1 && s.index >= 0 && s.index < s.count;
    }
    if (!good) throw InputError("--shard " + text + ": expected K/N with 0 <= K < N, e.g. 0/4");
    return s;
  }
  return s;
}

}  // namespace

ordered_json point_record_json(const SweepPoint& p, const PointRecord& r) {
  ordered_json values = ordered_json::object();
  for (const auto& [k, v] : p.values) values[k] = v;
  ordered_json j;
  j["id"] = p.id;
  j["index"] = p.index;
  j["values"] = values;
  j["status"] = r.status;
  j["exit_code"] = r.exit_code >= 0 ? ordered_json(r.exit_code) : ordered_json(nullptr);
  j["signal"] = r.signal ? ordered_json(r.signal) : ordered_json(nullptr);
  j["error"] = r.error;
  j["seconds"] = std::round(r.seconds * 1000.0) / 1000.0;
  return j;
}

PointRecord read_point_record(const std::string& dir, const SweepPoint& p) {
  PointRecord r;
  const std::string path = dir + "/point.json";
  if (!fs::exists(path)) return r;
  try {
    const ordered_json j = ordered_json::parse(read_file(path));
    ordered_json values = ordered_json::object();
    for (const auto& [k, v] : p.values) values[k] = v;
    if (j.at("values") != values) return r;
    const std::string status = j.at("status").get<std::string>();
    if (status != "ok" && status != "failed") return r;
    if (status == "ok" && !fs::exists(dir + "/summary.json")) return r;
    r.status = status;
    r.exit_code = j.at("exit_code").is_null() ? -1 : j.at("exit_code").get<int>();
    r.signal = j.at("signal").is_null() ? 0 : j.at("signal").get<int>();
    r.error = j.at("error").get<std::string>();
    r.seconds = j.at("seconds").get<double>();
  } catch (const std::exception&) {
    return PointRecord{};
  }
  return r;
}

std::string sweep_csv(const SweepSpec& spec, const std::vector<SweepPoint>& points,
                      const std::vector<PointRecord>& records, const std::string& out_dir) {
  std::string out = "index,id";
  for (const std::string& k : spec.keys) out += "," + csv_field(k);
  out +=
      ",status,exit_code,design_label,design_cycles,design_energy_pj,design_area_um2,design_sqnr_db,"
      "baseline_label,baseline_cycles,baseline_energy_pj,baseline_area_um2,baseline_sqnr_db,cycles_ratio,"
      "energy_ratio,area_ratio,energy_per_op_ratio,tops_per_w_ratio,achieved_tops_per_mm2_ratio";
  out += spec.accuracy ? ",top1,fp32_top1,top1_drop_pt,weight_bits\n" : "\n";
  const auto text = [](const ordered_json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  for (std::size_t i = 0; i < points.size(); ++i) {
    const SweepPoint& p = points[i];
    const PointRecord& r = records[i];
    out += fmt::format("{},{}", p.index, p.id);
    for (const auto& kv : p.values) out += "," + csv_field(kv.second);
    out += "," + r.status + "," + (r.exit_code >= 0 ? std::to_string(r.exit_code) : std::string());
    const ordered_json res = point_results(out_dir, p, r);
    for (const char* side : {"design", "baseline"}) {
      for (const char* f : {"label", "cycles", "energy_pj", "area_um2", "sqnr_db"}) {
        out += "," + (res.is_null() ? std::string() : csv_field(text(res[side][f])));
      }
    }
    for (const char* f : {"cycles", "energy", "area", "energy_per_op", "tops_per_w", "achieved_tops_per_mm2"}) {
      out += "," + (res.is_null() ? std::string() : text(res["ratio_to_baseline"][f]));
    }
    for (const char* f : {"top1", "fp32_top1", "top1_drop_pt", "weight_bits"}) {
      if (spec.accuracy) out += "," + (res.is_null() || !res.contains("accuracy") ? std::string() : text(res["accuracy"][f]));
    }
    out += "\n";
  }
  return out;
}

ordered_json sweep_json(const SweepSpec& spec, const std::vector<SweepPoint>& points,
                        const std::vector<PointRecord>& records, const std::string& out_dir) {
  ordered_json j;
  j["sweep"] = spec.name;
  j["sweep_file"] = spec.source;
  j["base"] = spec.base;
  j["keys"] = spec.keys;
  ordered_json axes = ordered_json::array();
  for (const SweepAxis& a : spec.axes) axes.push_back({{"keys", a.keys}, {"values", a.values}});
  j["axes"] = axes;
  std::size_t ok = 0;
  for (const PointRecord& r : records) ok += r.status == "ok";
  j["points_total"] = points.size();
  j["points_ok"] = ok;
  j["points_failed"] = points.size() - ok;
  ordered_json list = ordered_json::array();
  for (std::size_t i = 0; i < points.size(); ++i) {
    ordered_json p = point_record_json(points[i], records[i]);
    p.erase("seconds");
    const std::string dir = "points/" + points[i].id;
    p["dir"] = dir;
    p["point_json"] = dir + "/point.json";
    p["summary"] = records[i].status == "ok" ? ordered_json(dir + "/summary.json") : ordered_json(nullptr);
    p["results"] = point_results(out_dir, points[i], records[i]);
    list.push_back(p);
  }
  j["points"] = list;
  return j;
}

int run_sweep(const SweepArgs& args, std::ostream& os) {
  const SweepSpec spec = load_sweep(args.file);
  const std::vector<SweepPoint> points = expand_points(spec);
  const std::vector<std::string> resolved = validate_points(spec, points);  // [0]: base, [1 + i]: point i
  if (args.list) {
    for (const SweepPoint& p : points) {
      std::string sets;
      for (const std::string& o : p.overrides()) sets += " --set " + o;
      os << p.id << sets << "\n";
    }
    return 0;
  }
  if (args.jobs < 0) throw InputError(fmt::format("-j {}: expected a positive number of jobs", args.jobs));
  int jobs = args.jobs;
  if (jobs == 0) jobs = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::string exe = args.exe;
  if (exe.empty()) exe = self_exe_name();
  const std::string out_dir = args.out.empty() ? "out/sweeps/" + spec.name : args.out;
  fs::create_directories(out_dir + "/points");

  // Under mpirun (and no --shard), every rank takes the points index % size == rank (sim/sweep/mpi_world.hpp).
  const MpiWorld mpi;
  const bool mpi_shared = mpi.active() && args.shard.empty();
  const Shard shard = mpi_shared ? Shard{mpi.rank(), mpi.size()} : shard_of(args.shard);
  std::vector<PointRecord> records(points.size());
  std::vector<std::size_t> todo;
  std::size_t skipped = 0;
  std::vector<std::size_t> mine;  // this shard's points
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string dir = out_dir + "/points/" + points[i].id;
    records[i] = read_point_record(dir, points[i]);
    if (read_file(dir + "/config.resolved.yaml") != resolved[1 + i]) records[i] = PointRecord{};  // base edited
    const bool keep = records[i].status == "ok" || (records[i].status == "failed" && !args.retry_failed);
    if (static_cast<long>(points[i].index % shard.count) != shard.index) continue;  // another shard's point
    mine.push_back(i);
    if (keep) {
      ++skipped;
    } else {
      todo.push_back(i);
    }
  }

  // The shared baseline: the base config run once in DIR/baseline, its baseline's results saved at full
  // precision in DIR/baseline/baseline.json (written last); when that run fails every point runs its own.
  // Under mpirun rank 0 runs it for every rank, which wait for it at a barrier.
  std::string shared_baseline;
  const bool share = args.share_baseline && baseline_is_shared(spec);
  if (share && (mpi_shared ? mpi.sum(long(todo.size())) > 0 : !todo.empty())) {
    const std::string dir =
        out_dir + (shard.count > 1 && !mpi_shared ? fmt::format("/baseline.shard{}", shard.index) : "/baseline");
    const std::string file = dir + "/baseline.json";
    const bool runs_it = !mpi_shared || mpi.rank() == 0;
    if (runs_it && (!fs::exists(file) || read_file(dir + "/config.resolved.yaml") != resolved[0])) {
      fs::remove_all(dir);
      fs::create_directories(dir);
      if (isatty(STDERR_FILENO)) std::cerr << fmt::format("sweep {}: simulating the shared 8-bit baseline", spec.name) << std::flush;
      const int code = wait_for(spawn({exe, "sweep-point", spec.base, "--out", dir, "--baseline-out", file,
                                       "--operand-cache", operand_cache_dir(dir)},
                                      dir + "/stderr.txt"));
      if (isatty(STDERR_FILENO)) std::cerr << "\r\x1b[K";
      if (fs::exists(dir + "/stderr.txt") && fs::file_size(dir + "/stderr.txt") == 0) fs::remove(dir + "/stderr.txt");
      if (code != 0 || !fs::exists(file)) {
        std::cerr << fmt::format("sweep {}: the shared baseline run failed (see {}/stderr.txt); every point "
                                 "simulates its own baseline\n", spec.name, dir);
      }
    }
    if (mpi_shared) mpi.barrier();
    if (fs::exists(file)) shared_baseline = fs::absolute(file).string();
  }

  const bool progress = isatty(STDERR_FILENO);
  const Clock::time_point start = Clock::now();
  std::size_t done = 0, failed = 0;
  for (std::size_t i : mine) failed += records[i].status == "failed" && !args.retry_failed;
  const auto show = [&](bool final_line) {
    if (!progress) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::string eta = "--:--";
    if (done > 0) eta = clock_text(elapsed / done * (todo.size() - done));
    std::cerr << fmt::format("\r\x1b[Ksweep {}: {}/{} points done, {} failed, elapsed {}, ETA {}", spec.name,
                             skipped + done, mine.size(), failed, clock_text(elapsed), final_line ? "0:00" : eta)
              << (final_line ? "\n" : "") << std::flush;
  };

  std::map<pid_t, Running> running;
  std::size_t next = 0;
  show(false);
  auto last_show = Clock::now();
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && running.size() < static_cast<std::size_t>(jobs)) {
      const SweepPoint& p = points[todo[next]];
      const std::string dir = out_dir + "/points/" + p.id;
      fs::remove_all(dir);
      fs::create_directories(dir);
      write_file_atomic(dir + "/config.resolved.yaml", resolved[1 + todo[next]]);  // the run rewrites it alike
      running[spawn(point_command(exe, spec, p, dir, shared_baseline), dir + "/stderr.txt")] = Running{next, Clock::now()};
      ++next;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, progress || args.point_timeout > 0.0 ? WNOHANG : 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    }
    if (pid == 0) {
      kill_overdue(running, args.point_timeout);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (Clock::now() - last_show > std::chrono::milliseconds(500)) {
        show(false);
        last_show = Clock::now();
      }
      continue;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const std::size_t pi = todo[it->second.todo_index];
    const SweepPoint& p = points[pi];
    const std::string dir = out_dir + "/points/" + p.id;
    PointRecord r;
    r.seconds = std::chrono::duration<double>(Clock::now() - it->second.start).count();
    const bool timed_out = it->second.timed_out;
    running.erase(it);
    std::string err = tail(read_file(dir + "/stderr.txt"));
    if (err.empty()) fs::remove(dir + "/stderr.txt");
    if (WIFEXITED(status)) {
      r.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      r.signal = WTERMSIG(status);
      err += (err.empty() ? "" : "\n") + fmt::format("killed by signal {} ({})", r.signal, strsignal(r.signal));
      if (timed_out) err += fmt::format(": exceeded the point time limit of {} s (--point-timeout)", args.point_timeout);
    }
    r.status = r.exit_code == 0 && fs::exists(dir + "/summary.json") && (!spec.accuracy || fs::exists(dir + "/eval.json"))
                   ? "ok"
                   : "failed";
    if (r.status == "failed") {
      r.error = err.empty() ? "no summary.json written" : err;
      ++failed;
      if (progress) std::cerr << "\r\x1b[K";
      const std::string first = r.error.substr(0, r.error.find('\n'));
      std::cerr << fmt::format("sweep {}: point {} failed: {}\n", spec.name, p.id, first);
    }
    write_file_atomic(dir + "/point.json", point_record_json(p, r).dump(2) + "\n");
    records[pi] = r;
    ++done;
    if (done < todo.size()) show(false);
  }
  if (!todo.empty()) show(true);

  std::size_t ran = todo.size();
  if (mpi_shared) {
    // Every rank's points are on disk once all ranks pass the barrier; rank 0 reads them and merges.
    mpi.barrier();
    ran = static_cast<std::size_t>(mpi.sum(long(todo.size())));
    if (mpi.rank() != 0) {
      std::size_t ok = 0;
      for (std::size_t i : mine) ok += records[i].status == "ok";
      return ok == mine.size() ? 0 : 1;
    }
    mine.clear();
    for (std::size_t i = 0; i < points.size(); ++i) {
      records[i] = read_point_record(out_dir + "/points/" + points[i].id, points[i]);
      mine.push_back(i);
    }
    skipped = points.size() - ran;
  }
  write_file_atomic(out_dir + "/sweep.csv", sweep_csv(spec, points, records, out_dir));
  write_file_atomic(out_dir + "/sweep.json", sweep_json(spec, points, records, out_dir).dump(2) + "\n");
  std::size_t ok = 0;
  for (std::size_t i : mine) ok += records[i].status == "ok";
  const std::string of_shard = shard.count > 1 && !mpi_shared ? fmt::format(" (shard {}/{} of {})", shard.index, shard.count, points.size()) : "";
  os << fmt::format("sweep {}: {} points{}, {} ok, {} failed; {} already recorded, {} run; wrote {}/sweep.csv\n",
                    spec.name, mine.size(), of_shard, ok, mine.size() - ok, skipped, ran, out_dir);
  return ok == mine.size() ? 0 : 1;
}

}  // namespace dlasim::sim
