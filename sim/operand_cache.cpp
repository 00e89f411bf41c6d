#include "sim/operand_cache.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "sim/input_error.hpp"

namespace dlasim::sim {

namespace {

constexpr char kMagic[] = "dlasim-operands-v1\n";

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t fnv1a(uint64_t h, const std::vector<float>& v) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(v.data());
  for (std::size_t i = 0; i < v.size() * sizeof(float); ++i) {
    h ^= bytes[i];
    h *= 1099511628211ull;
  }
  return h;
}

std::string file_of(const std::string& dir, const std::string& key) {
  return fmt::format("{}/{:016x}.bin", dir, fnv1a(key));
}

void write_vector(std::ofstream& out, const std::vector<float>& v) {
  const uint64_t n = v.size();
  out.write(reinterpret_cast<const char*>(&n), sizeof n);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
}

bool read_vector(std::ifstream& in, std::vector<float>& v) {
  uint64_t n = 0;
  if (!in.read(reinterpret_cast<char*>(&n), sizeof n) || n > (uint64_t{1} << 34)) return false;
  v.resize(n);
  return static_cast<bool>(in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(float))));
}

}  // namespace

std::string operand_key(const Config& c, const LayerSpec& l, uint64_t index, const OperandOrigin& origin,
                        const std::string& upstream_key, const ModelOperands* model) {
  const hw::ConvShape& s = l.shape;
  const WorkloadConfig& w = c.workload;
  const std::string input = origin.chained_from >= 0 ? "[" + upstream_key + "]" : "seeded";
  const std::string weights =
      model ? fmt::format("model:{:016x}", fnv1a(fnv1a(1469598103934665603ull, model->weights), model->bias))
            : "seeded";
  return fmt::format("seed={} weight_dist={} act_dist={} dof={:.17g} bias_rel_std={:.17g} index={} type={} relu={} "
                     "shape={}x{}x{}->{} k={}x{} stride={} pad={} groups={} post_relu={} input={} weights={}",
                     c.run.seed, w.weight_dist, w.act_dist, w.student_t_dof, w.bias_rel_std, index, l.type, l.relu,
                     s.in_h, s.in_w, s.in_c, s.out_c, s.kernel_h, s.kernel_w, s.stride, s.pad, s.groups,
                     origin.post_relu, input, weights);
}

std::optional<FloatLayer> load_operands(const std::string& dir, const std::string& key) {
  std::ifstream in(file_of(dir, key), std::ios::binary);
  if (!in) return std::nullopt;
  std::string magic(sizeof kMagic - 1, '\0');
  uint64_t key_size = 0;
  if (!in.read(magic.data(), static_cast<std::streamsize>(magic.size())) || magic != kMagic) return std::nullopt;
  if (!in.read(reinterpret_cast<char*>(&key_size), sizeof key_size) || key_size != key.size()) return std::nullopt;
  std::string stored(key_size, '\0');
  if (!in.read(stored.data(), static_cast<std::streamsize>(key_size)) || stored != key) return std::nullopt;
  FloatLayer f;
  for (std::vector<float>* v : {&f.weights, &f.input, &f.bias, &f.output}) {
    if (!read_vector(in, *v)) return std::nullopt;
  }
  return f;
}

void store_operands(const std::string& dir, const std::string& key, const FloatLayer& f) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = file_of(dir, key);
  const std::string tmp = fmt::format("{}.tmp.{}", path, getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path + ": cannot write the operand cache");
    out.write(kMagic, sizeof kMagic - 1);
    const uint64_t key_size = key.size();
    out.write(reinterpret_cast<const char*>(&key_size), sizeof key_size);
    out.write(key.data(), static_cast<std::streamsize>(key.size()));
    for (const std::vector<float>* v : {&f.weights, &f.input, &f.bias, &f.output}) write_vector(out, *v);
    if (!out.flush()) {
      std::remove(tmp.c_str());
      throw InputError(path + ": cannot write the operand cache");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot write the operand cache");
  }
}

}  // namespace dlasim::sim
