// The energy model's calibration (docs/validation.md): the 5 nm chip of Keller et al., JSSC 2023, simulated in
// INT8, INT4 and INT4-VSQ, priced with configs/tech/keller_5nm.yaml; every Table II category within ±15 % and
// the energy per op within ±15 % of Table III. One SystemC elaboration (keller_table2 simulates three DLAs).
#include <catch2/catch.hpp>

#include <cmath>

#include "sim/energy/tech.hpp"
#include "sim/validation/keller5nm.hpp"

using namespace dlasim;

TEST_CASE("energy calibration: Table II split and Table III efficiency of the 5 nm chip within 15 %",
          "[module][energy][calibration]") {
  const sim::Tech tech = sim::load_tech(std::string(DLASIM_SOURCE_DIR) + "/configs/tech/keller_5nm.yaml");
  const std::vector<sim::Table2Row> rows = sim::keller_table2(tech);
  REQUIRE(rows.size() == 3);
  INFO(sim::table2_markdown(rows));
  for (const sim::Table2Row& r : rows) {
    for (std::size_t c = 0; c < 5; ++c) {
      INFO(r.format << " " << sim::kTable2Categories[c] << ": dlasim " << r.model[c] << ", Table II " << r.paper[c]);
      CHECK(std::abs(r.model[c] / r.paper[c] - 1.0) <= 0.15);
    }
    INFO(r.format << ": " << r.model_fj_per_op << " fJ/op, Table III " << 1e3 / r.paper_tops_per_w);
    CHECK(std::abs(r.model_fj_per_op * r.paper_tops_per_w / 1e3 - 1.0) <= 0.15);
    CHECK(std::abs(r.model_core_um2 / 153000.0 - 1.0) <= 0.15);  // the chip's 0.153 mm²
  }
  CHECK(rows[1].model[0] == Approx(1.0));  // normalised to the INT4 datapath
}
