#include "hw/trace/waveform.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

namespace dlasim::hw {
namespace {

// A scope path part or signal name: non-empty, printable, no whitespace, '.' or '$'.
bool valid_identifier(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= ' ' || c > '~' || c == '.' || c == '$') return false;
  }
  return true;
}

std::vector<std::string> split_scope(const std::string& scope) {
  std::vector<std::string> parts;
  if (scope.empty()) return parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t dot = scope.find('.', begin);
    parts.push_back(scope.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin));
    if (dot == std::string::npos) return parts;
    begin = dot + 1;
  }
}

std::string full_name(const std::vector<std::string>& scope, const std::string& name) {
  std::string s;
  for (const std::string& part : scope) s += part + ".";
  return s + name;
}

// VCD identifier code of signal n: bijective base 94 over '!'..'~', least significant character first.
std::string identifier_code(std::size_t n) {
  std::string id(1, static_cast<char>('!' + n % 94));
  n /= 94;
  while (n > 0) {
    --n;
    id += static_cast<char>('!' + n % 94);
    n /= 94;
  }
  return id;
}

// "0!" for 1-bit signals, "b101 !" for vectors (no leading zeros).
void append_value(std::string& out, int width, uint64_t value, const std::string& id) {
  if (width == 1) {
    out += value != 0 ? '1' : '0';
  } else {
    out += 'b';
    int bit = 63;
    while (bit > 0 && ((value >> bit) & 1) == 0) --bit;
    for (; bit >= 0; --bit) out += ((value >> bit) & 1) != 0 ? '1' : '0';
    out += ' ';
  }
  out += id;
  out += '\n';
}

std::string errno_text(int err) {
  return std::strerror(err);
}

// Writes `text` to "<path>.tmp.<pid>", syncs it and renames it over `path`; the temporary file is removed
// on every failure.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    throw std::runtime_error(path + ": cannot create temporary file " + tmp + " (" + errno_text(errno) + ")");
  auto fail = [&](const std::string& what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot " + what + " " + tmp + " (" + errno_text(err) + ")");
  };
  const char* p = text.data();
  std::size_t n = text.size();
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("write", w < 0 ? errno : EIO);
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) fail("sync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot close " + tmp + " (" + errno_text(err) + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename " + tmp + " to it (" + errno_text(err) + ")");
  }
}

// Scope tree of the declarations: children and signals in first-registration order.
struct ScopeNode {
  std::string name;
  std::vector<std::size_t> children;  // indices into the node list
  std::vector<SignalId> signals;
};

}  // namespace

WaveformRecorder::WaveformRecorder(uint64_t first_cycle, uint64_t last_cycle)
    : first_cycle_(first_cycle), last_cycle_(last_cycle) {
  if (first_cycle > last_cycle) {
    throw std::invalid_argument("waveform window: first cycle " + std::to_string(first_cycle) +
                                " is after last cycle " + std::to_string(last_cycle));
  }
}

SignalId WaveformRecorder::add_signal(const std::string& scope, const std::string& name, int width_bits,
                                      std::string description) {
  std::vector<std::string> parts = split_scope(scope);
  for (const std::string& part : parts) {
    if (!valid_identifier(part)) {
      throw std::invalid_argument("waveform signal '" + scope + "." + name + "': bad scope '" + scope +
                                  "' (dotted path of non-empty parts without whitespace or '$')");
    }
  }
  const std::string full = full_name(parts, name);
  if (!valid_identifier(name)) {
    throw std::invalid_argument("waveform signal '" + full +
                                "': bad name (non-empty, without whitespace, '.' or '$')");
  }
  if (width_bits < 1 || width_bits > 64) {
    throw std::invalid_argument("waveform signal '" + full + "': width " + std::to_string(width_bits) +
                                " is not in [1, 64]");
  }
  if (description.find("$end") != std::string::npos) {
    throw std::invalid_argument("waveform signal '" + full + "': description holds \"$end\"");
  }
  if (!full_names_.insert(full).second) throw std::logic_error("waveform signal registered twice: " + full);
  const uint64_t mask = width_bits == 64 ? ~uint64_t{0} : (uint64_t{1} << width_bits) - 1;
  signals_.push_back(
      {std::move(parts), name, width_bits, mask, std::move(description), {0, 0, false}, false, {}});
  return signals_.size() - 1;
}

void WaveformRecorder::fail_check(SignalId id, uint64_t value) const {
  if (id >= signals_.size()) {
    throw std::out_of_range("waveform: unknown signal id " + std::to_string(id) + " (" +
                            std::to_string(signals_.size()) + " registered)");
  }
  const Signal& s = signals_[id];
  throw std::out_of_range("waveform signal '" + full_name(s.scope, s.name) + "': value " +
                          std::to_string(value) + " does not fit in " + std::to_string(s.width) + " bits");
}

void WaveformRecorder::pulse(SignalId id, uint64_t first, uint64_t last, uint64_t value) {
  if (first > last) {
    throw std::invalid_argument("waveform pulse: first cycle " + std::to_string(first) +
                                " is after last cycle " + std::to_string(last));
  }
  check(id, value);
  if (first > last_cycle_) return;
  record(id, first, value, false);
  if (last < last_cycle_) record(id, last + 1, 0, true);
}

void WaveformRecorder::record(SignalId id, uint64_t cycle, uint64_t value, bool pulse_end) {
  Signal& s = signals_[id];
  if (cycle >= first_cycle_) {
    s.changes.push_back({cycle, value, pulse_end});
    return;
  }
  // Before the window: keep the change that wins at the latest cycle.
  const Change& kept = s.before_window;
  if (!s.has_before_window || cycle > kept.cycle || (cycle == kept.cycle && (!pulse_end || kept.pulse_end))) {
    s.before_window = {cycle, value, pulse_end};
    s.has_before_window = true;
  }
}

std::string WaveformRecorder::render(uint64_t period_ps, const std::string& version_comment) const {
  std::vector<std::string> ids;
  for (SignalId i = 0; i < signals_.size(); ++i) ids.push_back(identifier_code(i));

  std::string out;
  out += "$version " + version_comment + " $end\n";
  out += "$comment window cycles " + std::to_string(first_cycle_) + ".." + std::to_string(last_cycle_) +
         ", 1 cycle = " + std::to_string(period_ps) + " ps $end\n";
  out += "$timescale 1ps $end\n";

  std::vector<ScopeNode> nodes(1);
  for (SignalId i = 0; i < signals_.size(); ++i) {
    std::size_t node = 0;
    for (const std::string& part : signals_[i].scope) {
      const std::vector<std::size_t>& children = nodes[node].children;
      const auto it = std::find_if(children.begin(), children.end(),
                                   [&](std::size_t c) { return nodes[c].name == part; });
      if (it != children.end()) {
        node = *it;
      } else {
        nodes.push_back({part, {}, {}});
        nodes[node].children.push_back(nodes.size() - 1);
        node = nodes.size() - 1;
      }
    }
    nodes[node].signals.push_back(i);
  }
  auto declare = [&](std::size_t node, auto& self) -> void {
    const ScopeNode& n = nodes[node];
    if (node != 0) out += "$scope module " + n.name + " $end\n";
    for (SignalId i : n.signals) {
      const Signal& s = signals_[i];
      if (!s.description.empty()) out += "$comment " + s.description + " $end\n";
      out += "$var wire " + std::to_string(s.width) + " " + ids[i] + " " + s.name;
      if (s.width > 1) out += " [" + std::to_string(s.width - 1) + ":0]";
      out += " $end\n";
    }
    for (std::size_t c : n.children) self(c, self);
    if (node != 0) out += "$upscope $end\n";
  };
  declare(0, declare);
  out += "$enddefinitions $end\n";

  // Resolve each signal: its value at the window start, then the cycles where the value really changes.
  struct Event {
    uint64_t cycle;
    SignalId id;
    uint64_t value;
  };
  std::vector<Event> events;
  std::vector<uint64_t> start(signals_.size());
  for (SignalId i = 0; i < signals_.size(); ++i) {
    const Signal& s = signals_[i];
    std::vector<Change> changes = s.changes;
    std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
      return a.cycle != b.cycle ? a.cycle < b.cycle : a.pulse_end && !b.pulse_end;
    });
    uint64_t value = s.has_before_window ? s.before_window.value : 0;
    std::size_t k = 0;
    for (; k < changes.size() && changes[k].cycle == first_cycle_; ++k) value = changes[k].value;
    start[i] = value;
    for (; k < changes.size(); ++k) {
      const bool last_of_cycle = k + 1 == changes.size() || changes[k + 1].cycle != changes[k].cycle;
      if (last_of_cycle && changes[k].value != value) {
        value = changes[k].value;
        events.push_back({changes[k].cycle, i, value});
      }
    }
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.cycle != b.cycle ? a.cycle < b.cycle : a.id < b.id;
  });

  out += "#" + std::to_string(first_cycle_ * period_ps) + "\n$dumpvars\n";
  for (SignalId i = 0; i < signals_.size(); ++i) append_value(out, signals_[i].width, start[i], ids[i]);
  out += "$end\n";
  for (std::size_t e = 0; e < events.size(); ++e) {
    if (e == 0 || events[e].cycle != events[e - 1].cycle)
      out += "#" + std::to_string(events[e].cycle * period_ps) + "\n";
    append_value(out, signals_[events[e].id].width, events[e].value, ids[events[e].id]);
  }
  out += "#" + std::to_string((last_cycle_ + 1) * period_ps) + "\n";
  return out;
}

void WaveformRecorder::write(const std::string& path, double clock_mhz,
                             const std::string& version_comment) const {
  const double period = std::isfinite(clock_mhz) && clock_mhz > 0 ? std::round(1.0e6 / clock_mhz) : 0.0;
  if (!(period >= 1.0 && period < 0x1p63)) {
    throw std::invalid_argument("waveform " + path + ": clock " + std::to_string(clock_mhz) +
                                " MHz gives no period in [1 ps, 2^63 ps)");
  }
  const auto period_ps = static_cast<uint64_t>(period);
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (last_cycle_ == kMax || last_cycle_ + 1 > kMax / period_ps) {
    throw std::invalid_argument("waveform " + path + ": window end cycle " + std::to_string(last_cycle_) +
                                " at " + std::to_string(period_ps) + " ps per cycle exceeds 2^64 ps");
  }
  if (version_comment.find("$end") != std::string::npos) {
    throw std::invalid_argument("waveform " + path + ": version comment holds \"$end\"");
  }
  write_atomically(path, render(period_ps, version_comment));
}

}  // namespace dlasim::hw
