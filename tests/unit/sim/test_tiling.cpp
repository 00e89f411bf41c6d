// The controller's tiling plan and per-pass traffic (hw/ctrl/tiling.hpp, hw/buffer/packing.hpp) on
// hand-derived cases.
#include <catch2/catch.hpp>

#include <random>

#include "hw/ctrl/tiling.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

// One layer with seeded operands (INT4 per-vector two-level weights and activations, V = 8).
struct Layer {
  quant::QTensor weights, input;
  std::vector<float> bias;
  hw::LayerJob job;

  explicit Layer(const hw::ConvShape& sh, int v = 8) {
    std::mt19937 gen(5);
    std::normal_distribution<float> nd;
    std::vector<float> w(sh.out_c * sh.taps() * sh.group_in_c()), a(sh.in_h * sh.in_w * sh.in_c);
    for (float& x : w) x = nd(gen);
    for (float& x : a) x = nd(gen);
    const quant::QuantSpec ws = quant::int_spec(4, quant::Granularity::per_vector, 4, v);
    const quant::QuantSpec as = quant::int_spec(4, quant::Granularity::per_vector, 6, v);
    weights = quant::quantize(w.data(), sh.weight_matrix(), ws);
    input = quant::quantize(a.data(), sh.input_matrix(), as);
    bias.assign(sh.out_c, 0.0f);
    job.name = "layer";
    job.shape = sh;
    job.weights = &weights;
    job.input = &input;
    job.bias = &bias;
    job.output = {as, 0.1f};
  }
};

hw::ArchParams small_array() {
  hw::ArchParams a;
  a.pes = 2;
  a.lanes = 4;
  a.vector_size = 8;
  a.collector_depth = 4;
  a.weight_bits = a.act_bits = 4;
  a.weight_scale_bits = 4;
  a.act_scale_bits = 6;
  return a;
}

template <class F>
uint64_t sum(const std::vector<hw::WavePtr>& waves, F field) {
  uint64_t s = 0;
  for (const hw::WavePtr& w : waves) s += field(*w);
  return s;
}

}  // namespace

TEST_CASE("tiling: packing puts whole vectors in a row or spreads a vector over rows", "[tiling]") {
  const hw::Packing int4{4, 16, 4, 128};  // 32 elements per row: 2 vectors
  CHECK(int4.elements_per_entry() == 32);
  CHECK(int4.vectors_per_entry() == 2);
  CHECK(int4.entries_per_vector() == 1);
  CHECK(int4.entries_for(5) == 3);
  CHECK(int4.vector_bits() == 68);
  const hw::Packing int8{8, 32, 0, 128};  // 16 elements per row: a vector takes 2 rows
  CHECK(int8.vectors_per_entry() == 0);
  CHECK(int8.entries_per_vector() == 2);
  CHECK(int8.entries_for(3) == 6);
  CHECK(int8.vector_bits() == 256);
}

TEST_CASE("tiling: the input window of a padded 3x3 tile counts the distinct pixels it reads", "[tiling]") {
  // 6x6x8 -> 4, 3x3, stride 1, pad 1: one vector per row (C = V = 8). The first tile holds output pixels
  // (0,0)..(0,3): input rows 0..1 (row -1 is padding) × columns 0..4 (column -1 is padding) = 10 pixels.
  Layer l({6, 6, 8, 4, 3, 3, 1, 1});
  const hw::ArchParams a = small_array();
  const hw::TilingPlan plan = hw::plan_tiling(l.job, a);
  REQUIRE(plan.passes() == 1);
  const std::vector<hw::WavePtr> waves = hw::plan_waves(l.job, 0, a, plan);
  // 36 output pixels / depth 4 = 9 tiles, one channel block: 5 waves (the last one a single tile).
  REQUIRE(waves.size() == 5);
  const uint64_t vec_a = 8 * 4 + 6, vec_w = 8 * 4 + 4;
  // Wave 0: PE 0 (pixels (0,0)..(0,3)) reads 10 pixels, PE 1 (pixels (0,4),(0,5),(1,0),(1,1)) reads
  // rows 0..1 × columns 3..5 (for (0,4), (0,5)) ∪ rows 0..2 × columns 0..2 (for (1,0), (1,1)) = 15 pixels;
  // both load the 4 lanes' 9 weight vectors (one channel block: read once from the global buffer, multicast).
  CHECK(waves[0]->ibuf_write_bits == (10 + 15) * vec_a);
  CHECK(waves[0]->wbuf_write_bits == 2 * 4 * 9 * vec_w);
  CHECK(waves[0]->gbuf_read_bits == (10 + 15) * vec_a + 4 * 9 * vec_w);
  // The PEs keep their weights: later waves load inputs only.
  for (std::size_t i = 1; i < waves.size(); ++i) CHECK(waves[i]->wbuf_write_bits == 0);
  // Everything fits the global buffer: each weight and input vector comes from DRAM exactly once.
  CHECK(plan.weights_resident);
  CHECK(plan.input_resident);
  CHECK(sum(waves, [](const hw::Wave& w) { return w.dram_read_bits; }) == plan.weight_bits + plan.input_bits);
  CHECK(plan.input_bits == 36 * vec_a);
  CHECK(plan.weight_bits == 4 * 9 * vec_w);
}

TEST_CASE("tiling: a streamed input is fetched once per channel block, resident weights once", "[tiling]") {
  // 1x1 conv 4x4x16 -> 8: 2 channel blocks × 4 pixel blocks; waves (kb0: pb0 pb1), (kb0: pb2 pb3),
  // (kb1: pb0 pb1), (kb1: pb2 pb3). The global buffer holds the weights but not the input.
  Layer l({4, 4, 16, 8, 1, 1, 1, 0});
  hw::ArchParams a = small_array();
  const uint64_t vec_a = 8 * 4 + 6;
  const uint64_t input_bits = 16 * 2 * vec_a;  // 16 pixels × 2 vectors
  a.gbuf_kib = double(input_bits - 8) / 8192.0;
  const hw::TilingPlan plan = hw::plan_tiling(l.job, a);
  REQUIRE(plan.input_bits == input_bits);
  CHECK_FALSE(plan.input_resident);
  CHECK(plan.weights_resident);
  const std::vector<hw::WavePtr> waves = hw::plan_waves(l.job, 0, a, plan);
  REQUIRE(waves.size() == 4);
  CHECK(sum(waves, [](const hw::Wave& w) { return w.dram_read_bits; }) == 2 * input_bits + plan.weight_bits);
}

TEST_CASE("tiling: a small weight buffer cuts the reduction into passes of consecutive steps", "[tiling]") {
  // 3x3 conv with C = 40 (5 vectors of 8): 45 reduction steps. Weight slot: 0.125 KiB = 8 rows of 128 bits,
  // half with double buffering = 4 rows = 1 row per lane = 4 INT4 vectors of 8 (32 elements per row).
  Layer l({6, 6, 40, 4, 3, 3, 1, 1});
  hw::ArchParams a = small_array();
  a.weight_buffer_kib = 0.125;
  const hw::TilingPlan plan = hw::plan_tiling(l.job, a);
  CHECK(plan.reduction_steps == 45);
  CHECK(plan.weight_slot_entries == 4);
  CHECK(plan.pass_steps == 4);
  CHECK(plan.passes() == 12);
  const std::vector<hw::WavePtr> waves = hw::plan_waves(l.job, 0, a, plan);
  REQUIRE(waves.size() == 5 * 12);
  // Passes of one tile set are consecutive and cover [0, 45) in order.
  for (std::size_t w = 0; w < waves.size(); ++w) {
    const int64_t pass = int64_t(w % 12);
    CHECK(waves[w]->j0 == 4 * pass);
    CHECK(waves[w]->j1 == std::min<int64_t>(4 * pass + 4, 45));
    CHECK(waves[w]->first_pass == (pass == 0));
    CHECK(waves[w]->last_pass == (pass == 11));
  }
  CHECK(waves.back()->last_of_layer);
  // Without double buffering the whole buffer is one slot: twice the steps per pass.
  a.double_buffering = false;
  CHECK(hw::plan_tiling(l.job, a).pass_steps == 8);
}

TEST_CASE("tiling: a layer whose single step does not fit names the buffer and the sizes", "[tiling]") {
  Layer l({6, 6, 40, 4, 3, 3, 1, 1});
  hw::ArchParams a = small_array();
  a.weight_buffer_kib = 0.03125;  // 2 rows: one per slot, 4 lanes need 4
  try {
    hw::plan_tiling(l.job, a);
    FAIL("no error");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(msg.find("layer 'layer' cannot be tiled") != std::string::npos);
    CHECK(msg.find("4 weight-buffer rows of 128 bits") != std::string::npos);
    CHECK(msg.find("holds 1") != std::string::npos);
  }
  a = small_array();
  a.input_buffer_kib = 0.0625;  // 4 rows, 2 per slot; one step of a 4-pixel tile reads up to 4 input vectors
  a.collector_depth = 16;       // 16 pixels of one step need 16 vectors = 4 rows (4 vectors per row)
  try {
    hw::plan_tiling(l.job, a);
    FAIL("no error");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(msg.find("cannot be tiled") != std::string::npos);
    CHECK(msg.find("input-buffer rows") != std::string::npos);
  }
}
