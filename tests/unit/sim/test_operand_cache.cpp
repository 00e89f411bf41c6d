// The sweep's operand cache (sim/operand_cache.hpp): a stored layer loads back bit for bit, a changed input of
// make_float_layer is a different key, and corrupt or colliding files are ignored.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "sim/operand_cache.hpp"
#include "sim/workload/layer_table.hpp"

using namespace dlasim;
namespace fs = std::filesystem;

namespace {

sim::LayerSpec conv() {
  return sim::parse_layer_table("name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu\n"
                                "c,conv,6,6,8,4,3,3,1,1,1\n",
                                "inline")[0];
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("operand cache: a stored layer loads back bit for bit and keys separate every input") {
  const fs::path dir = fs::temp_directory_path() / "dlasim_test_operand_cache";
  fs::remove_all(dir);
  sim::Config c;
  const sim::LayerSpec l = conv();
  const std::string key = sim::operand_key(c, l, 3);
  CHECK_FALSE(sim::load_operands(dir.string(), key).has_value());
  const sim::FloatLayer f = sim::make_float_layer(c, l, 3);
  sim::store_operands(dir.string(), key, f);
  const std::optional<sim::FloatLayer> g = sim::load_operands(dir.string(), key);
  REQUIRE(g.has_value());
  CHECK(same_bits(f.weights, g->weights));
  CHECK(same_bits(f.input, g->input));
  CHECK(same_bits(f.bias, g->bias));
  CHECK(same_bits(f.output, g->output));
  // Every input of make_float_layer changes the key; a bit-width does not.
  sim::Config other = c;
  other.run.seed = 2;
  CHECK(sim::operand_key(other, l, 3) != key);
  other = c;
  other.workload.act_dist = "laplace";
  CHECK(sim::operand_key(other, l, 3) != key);
  CHECK(sim::operand_key(c, l, 4) != key);
  sim::LayerSpec relu_off = l;
  relu_off.relu = false;
  CHECK(sim::operand_key(c, relu_off, 3) != key);
  other = c;
  other.quant.weights.bits = 3;
  CHECK(sim::operand_key(other, l, 3) == key);
  // The origin (sim/operands.hpp) too: a post-ReLU input, and a chained layer's upstream key.
  sim::OperandOrigin rectified;
  rectified.post_relu = true;
  CHECK(sim::operand_key(c, l, 3, rectified) != key);
  sim::OperandOrigin chained;
  chained.chained_from = 2;
  CHECK(sim::operand_key(c, l, 3, chained, "upstream a") != sim::operand_key(c, l, 3, chained, "upstream b"));
  // A truncated file is ignored.
  for (const auto& e : fs::directory_iterator(dir)) fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
  CHECK_FALSE(sim::load_operands(dir.string(), key).has_value());
  fs::remove_all(dir);
}
