// WaveformRecorder: exact VCD text of small windows (declarations, pre-window values, ordering rules),
// argument and I/O errors, and randomized recordings parsed back and compared cycle by cycle with a model
// of the ordering rule.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "hw/trace/waveform.hpp"
#include "tests/support/vcd_reader.hpp"

using Catch::Contains;
using dlasim::hw::SignalId;
using dlasim::hw::WaveformRecorder;
using dlasim::test::parse_vcd;
using dlasim::test::ParsedVcd;

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
  fs::path dir;
  TempDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("dlasim_waveform_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string write_vcd(const WaveformRecorder& w, double clock_mhz = 1000.0) {
  TempDir tmp;
  const std::string path = tmp.file("w.vcd");
  w.write(path, clock_mhz, "dlasim test");
  return file_text(path);
}

// The value-change section: everything after "$enddefinitions $end\n".
std::string body(const std::string& vcd) {
  const std::string marker = "$enddefinitions $end\n";
  const std::size_t at = vcd.find(marker);
  REQUIRE(at != std::string::npos);
  return vcd.substr(at + marker.size());
}

// ---- the ordering rule, stated directly -----------------------------------------------------------------

struct Op {
  uint64_t cycle;
  uint64_t value;
  bool pulse_end;
};

// Value of a signal at `cycle`: of the changes at or before it, the one with the latest cycle; at equal
// cycles a change that is not a pulse end beats a pulse end, then the later recorded wins. 0 if none.
uint64_t model_value(const std::vector<Op>& ops, uint64_t cycle) {
  const Op* best = nullptr;
  for (const Op& op : ops) {
    if (op.cycle > cycle) continue;
    if (best == nullptr || op.cycle > best->cycle ||
        (op.cycle == best->cycle && (!op.pulse_end || best->pulse_end)))
      best = &op;
  }
  return best == nullptr ? 0 : best->value;
}

}  // namespace

// ---- exact text ---------------------------------------------------------------------------------------

TEST_CASE("waveform: writes the exact VCD of a small window") {
  WaveformRecorder w(10, 20);
  const SignalId busy = w.add_signal("design.pe_array", "busy", 1, "PE lanes busy");
  const SignalId occ = w.add_signal("design.pe_array.lane0", "occ", 4, "");
  const SignalId bytes = w.add_signal("design.dram", "bytes", 64, "DRAM bytes moved");
  const SignalId stall = w.add_signal("", "stall", 1, "top-level stall");

  w.set(busy, 5, 1);  // before the window: the latest cycle decides the value at the window start,
  w.set(busy, 3, 0);  // whatever the record order
  w.set(busy, 12, 0);
  w.set(busy, 12, 1);  // equal cycle: the last recorded wins, and 1 is no change
  w.set(busy, 17, 1);
  w.set(busy, 15, 0);  // recorded after a later change of the same signal
  w.set(busy, 25, 0);  // after the window: dropped
  w.set(occ, 9, 7);
  w.set(occ, 10, 3);  // at the window start: beats the pre-window value
  w.set(occ, 13, 3);  // redundant
  w.set(occ, 16, 12);
  w.set(occ, 20, 0);  // the last cycle of the window
  w.set(bytes, 11, kMax64);
  w.set(bytes, 19, uint64_t{1} << 63);
  w.pulse(stall, 0, 2, 1);  // over before the window
  w.pulse(stall, 14, 15, 1);

  CHECK(write_vcd(w, 500.0) == R"($version dlasim test $end
$comment window cycles 10..20, 1 cycle = 2000 ps $end
$timescale 1ps $end
$comment top-level stall $end
$var wire 1 $ stall $end
$scope module design $end
$scope module pe_array $end
$comment PE lanes busy $end
$var wire 1 ! busy $end
$scope module lane0 $end
$var wire 4 " occ [3:0] $end
$upscope $end
$upscope $end
$scope module dram $end
$comment DRAM bytes moved $end
$var wire 64 # bytes [63:0] $end
$upscope $end
$upscope $end
$enddefinitions $end
#20000
$dumpvars
1!
b11 "
b0 #
0$
$end
#22000
b1111111111111111111111111111111111111111111111111111111111111111 #
#28000
1$
#30000
0!
#32000
b1100 "
0$
#34000
1!
#38000
b1000000000000000000000000000000000000000000000000000000000000000 #
#40000
b0 "
#42000
)");
}

TEST_CASE("waveform: a signal without changes still has a $dumpvars value and the file its end time") {
  WaveformRecorder w(0, 0);
  w.add_signal("design", "idle", 1, "");
  CHECK(body(write_vcd(w)) == "#0\n$dumpvars\n0!\n$end\n#1000\n");
}

TEST_CASE("waveform: pulses return to 0 and lose to other changes at their end cycle") {
  WaveformRecorder w(10, 30);
  const SignalId a = w.add_signal("design", "a", 1, "");
  const SignalId b = w.add_signal("design", "b", 3, "");
  const SignalId c = w.add_signal("design", "c", 2, "");
  const SignalId d = w.add_signal("design", "d", 1, "");
  // Back-to-back pulses recorded in reverse order read as one pulse over cycles 15..24.
  w.pulse(a, 20, 24, 1);
  w.pulse(a, 15, 19, 1);
  // A set at the end cycle of a pulse wins over its return to 0, recorded before or after.
  w.set(b, 13, 2);
  w.pulse(b, 11, 12, 5);
  w.pulse(b, 26, 30, 6);  // ends with the window: no return to 0 in the file
  // A pulse across the window start gives the $dumpvars value.
  w.pulse(c, 5, 11, 3);
  // A pulse ending just before the window start returns to 0 at it.
  w.set(d, 2, 1);
  w.pulse(d, 4, 9, 1);
  // The same rule before the window: the set at cycle 4 beats the pulse end recorded after it.
  const SignalId e = w.add_signal("design", "e", 1, "");
  w.set(e, 4, 1);
  w.pulse(e, 1, 3, 1);
  CHECK(body(write_vcd(w)) ==
        "#10000\n$dumpvars\n0!\nb0 \"\nb11 #\n0$\n1%\n$end\n"
        "#11000\nb101 \"\n"
        "#12000\nb0 #\n"
        "#13000\nb10 \"\n"
        "#15000\n1!\n"
        "#25000\n0!\n"
        "#26000\nb110 \"\n"
        "#31000\n");
  CHECK_THROWS_AS(w.pulse(a, 5, 4, 1), std::invalid_argument);
}

TEST_CASE("waveform: identifier codes run over '!'..'~', then two and three characters") {
  WaveformRecorder w(0, 1);
  for (int i = 0; i < 94 + 94 * 94 + 1; ++i) w.add_signal("design.s", "x" + std::to_string(i), 1, "");
  const ParsedVcd p = parse_vcd(write_vcd(w));
  REQUIRE(p.name_of_id.size() == 94 + 94 * 94 + 1);  // all distinct
  std::map<std::string, std::string> id_of;
  for (const auto& [id, name] : p.name_of_id) id_of[name] = id;
  CHECK(id_of.at("design.s.x0") == "!");
  CHECK(id_of.at("design.s.x93") == "~");
  CHECK(id_of.at("design.s.x94") == "!!");
  CHECK(id_of.at("design.s.x95") == "\"!");
  CHECK(id_of.at("design.s.x187") == "~!");
  CHECK(id_of.at("design.s.x188") == "!\"");
  CHECK(id_of.at("design.s.x8929") == "~~");
  CHECK(id_of.at("design.s.x8930") == "!!!");
}

TEST_CASE("waveform: time stamps use the period rounded to whole picoseconds") {
  WaveformRecorder w(2, 3);
  w.add_signal("design", "x", 1, "");
  // 333 MHz: 3003.003 ps → 3003 ps.
  CHECK(body(write_vcd(w, 333.0)) == "#6006\n$dumpvars\n0!\n$end\n#12012\n");
}

TEST_CASE("waveform: in_window tells whether a cycle range overlaps the window") {
  const WaveformRecorder w(10, 20);
  CHECK(w.first_cycle() == 10);
  CHECK(w.last_cycle() == 20);
  CHECK_FALSE(w.in_window(0, 9));
  CHECK(w.in_window(0, 10));
  CHECK(w.in_window(12, 13));
  CHECK(w.in_window(20, kMax64));
  CHECK_FALSE(w.in_window(21, 30));
}

TEST_CASE("waveform: the output is byte-identical for equal recordings and replaces an existing file") {
  TempDir tmp;
  auto record = [] {
    WaveformRecorder w(0, 50);
    const SignalId x = w.add_signal("design.a", "x", 8, "x");
    const SignalId y = w.add_signal("design.b", "y", 1, "y");
    for (uint64_t c = 0; c < 60; c += 7) w.set(x, 60 - c, c);
    w.pulse(y, 3, 9, 1);
    return w;
  };
  const std::string path = tmp.file("w.vcd");
  record().write(path, 800.0, "v");
  const std::string first = file_text(path);
  record().write(path, 800.0, "v");
  CHECK(file_text(path) == first);
  CHECK(std::distance(fs::directory_iterator(tmp.dir), fs::directory_iterator()) == 1);
}

// ---- errors -------------------------------------------------------------------------------------------

TEST_CASE("waveform: bad windows, signals and values are rejected") {
  CHECK_THROWS_AS(WaveformRecorder(5, 4), std::invalid_argument);
  CHECK_NOTHROW(WaveformRecorder(4, 4));
  WaveformRecorder w(0, 10);
  CHECK_THROWS_WITH(w.add_signal("design", "x", 0, ""), Contains("'design.x': width 0 is not in [1, 64]"));
  CHECK_THROWS_WITH(w.add_signal("design", "x", 65, ""), Contains("width 65"));
  CHECK_THROWS_AS(w.add_signal("design", "", 1, ""), std::invalid_argument);
  CHECK_THROWS_AS(w.add_signal("design", "a.b", 1, ""), std::invalid_argument);
  CHECK_THROWS_AS(w.add_signal("design", "a b", 1, ""), std::invalid_argument);
  CHECK_THROWS_AS(w.add_signal("design..pe", "x", 1, ""), std::invalid_argument);
  CHECK_THROWS_AS(w.add_signal(".design", "x", 1, ""), std::invalid_argument);
  CHECK_THROWS_AS(w.add_signal("design", "x", 1, "see $end"), std::invalid_argument);
  const SignalId x = w.add_signal("design.pe", "x", 4, "");
  CHECK_THROWS_AS(w.add_signal("design.pe", "x", 1, ""), std::logic_error);
  CHECK_THROWS_WITH(w.add_signal("design.pe", "x", 4, ""), "waveform signal registered twice: design.pe.x");
  CHECK_NOTHROW(w.add_signal("design", "x", 4, ""));  // same name, other scope

  // Too wide for 4 bits, inside the window or not; unknown ids.
  CHECK_THROWS_WITH(w.set(x, 3, 16), Contains("'design.pe.x': value 16 does not fit in 4 bits"));
  CHECK_THROWS_AS(w.set(x, 100, 16), std::out_of_range);
  CHECK_THROWS_AS(w.pulse(x, 1, 2, 16), std::out_of_range);
  CHECK_THROWS_AS(w.set(99, 3, 0), std::out_of_range);
  CHECK_NOTHROW(w.set(x, 3, 15));

  TempDir tmp;
  const std::string path = tmp.file("w.vcd");
  CHECK_THROWS_AS(w.write(path, 0.0, ""), std::invalid_argument);
  CHECK_THROWS_AS(w.write(path, std::nan(""), ""), std::invalid_argument);
  CHECK_THROWS_AS(w.write(path, 3.0e6, ""), std::invalid_argument);  // period rounds to 0 ps
  CHECK_THROWS_AS(w.write(path, 1000.0, "v $end"), std::invalid_argument);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("waveform: a window whose end time exceeds 2^64 ps cannot be written") {
  WaveformRecorder w(0, kMax64);
  const SignalId x = w.add_signal("design", "x", 1, "");
  w.set(x, kMax64, 1);
  TempDir tmp;
  CHECK_THROWS_WITH(w.write(tmp.file("w.vcd"), 1000.0, ""), Contains("exceeds 2^64 ps"));
  WaveformRecorder near_end(0, kMax64 / 1000 - 1);
  CHECK_NOTHROW(near_end.write(tmp.file("w.vcd"), 1000.0, ""));
}

TEST_CASE("waveform: unwritable paths throw runtime_error naming the path and leave no temporary") {
  TempDir tmp;
  WaveformRecorder w(0, 3);
  w.add_signal("design", "x", 1, "");
  SECTION("missing directory") {
    const std::string path = tmp.file("missing/w.vcd");
    CHECK_THROWS_AS(w.write(path, 1000.0, ""), std::runtime_error);
    CHECK_THROWS_WITH(w.write(path, 1000.0, ""), Contains(path + ": cannot create temporary file"));
  }
  SECTION("a directory in the way of the rename") {
    const std::string path = tmp.file("dir.vcd");
    fs::create_directories(fs::path(path) / "child");
    CHECK_THROWS_WITH(w.write(path, 1000.0, ""), Contains(path + ": cannot rename"));
    CHECK_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
    CHECK(fs::is_directory(fs::path(path) / "child"));
    CHECK(std::distance(fs::directory_iterator(tmp.dir), fs::directory_iterator()) == 1);
  }
}

// ---- parse back ---------------------------------------------------------------------------------------

TEST_CASE("waveform: random recordings parse back to the value the ordering rule gives at every cycle") {
  const int widths[] = {1, 3, 8, 17, 63, 64};
  const double clocks[] = {1000.0, 333.0, 1250.0};
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    std::mt19937_64 rng(seed);
    const uint64_t first = rng() % 50;
    const uint64_t last = first + rng() % 100;
    WaveformRecorder w(first, last);
    std::vector<std::string> names;
    std::vector<std::vector<Op>> ops;
    for (std::size_t i = 0; i < std::size(widths); ++i) {
      const std::string scope = i % 2 == 0 ? "design.even" : "design.odd.deep";
      w.add_signal(scope, "s" + std::to_string(i), widths[i], "");
      names.push_back(scope + ".s" + std::to_string(i));
      ops.emplace_back();
    }
    for (int n = 0; n < 300; ++n) {
      const SignalId id = rng() % names.size();
      const int width = widths[id];
      // Small values on a few signals so that redundant changes happen.
      uint64_t value = id < 2 ? rng() % 3 : rng();
      if (width < 64) value &= (uint64_t{1} << width) - 1;
      const uint64_t cycle = rng() % (last + 30);
      if (rng() % 2 == 0) {
        w.set(id, cycle, value);
        ops[id].push_back({cycle, value, false});
      } else {
        const uint64_t end = cycle + rng() % 8;
        w.pulse(id, cycle, end, value);
        ops[id].push_back({cycle, value, false});
        ops[id].push_back({end + 1, 0, true});
      }
    }
    const double clock = clocks[seed % std::size(clocks)];
    const uint64_t period = static_cast<uint64_t>(std::round(1.0e6 / clock));
    const ParsedVcd p = parse_vcd(write_vcd(w, clock));
    INFO("seed " << seed);
    REQUIRE(p.name_of_id.size() == names.size());
    CHECK(p.first_time == first * period);
    CHECK(p.end_time == (last + 1) * period);
    for (std::size_t i = 0; i < names.size(); ++i) {
      INFO("signal " << names[i]);
      REQUIRE(p.width.at(names[i]) == widths[i]);
      uint64_t value = p.dumpvars.at(names[i]);
      std::size_t k = 0;
      std::vector<ParsedVcd::Change> mine;
      for (const ParsedVcd::Change& c : p.changes)
        if (c.name == names[i]) mine.push_back(c);
      for (uint64_t cycle = first; cycle <= last; ++cycle) {
        for (; k < mine.size() && mine[k].time <= cycle * period; ++k) {
          REQUIRE(mine[k].time % period == 0);
          REQUIRE(mine[k].time > first * period);
          value = mine[k].value;
        }
        INFO("cycle " << cycle);
        REQUIRE(value == model_value(ops[i], cycle));
      }
      CHECK(k == mine.size());
    }
  }
}
