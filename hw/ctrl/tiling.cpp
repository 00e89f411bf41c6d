#include "hw/ctrl/tiling.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/arith.hpp"

namespace dlasim::hw {

namespace {

int scale_bits_of(const quant::QTensor& t) { return t.spec.vector_scale_storage_bits(); }

// Tiles in loop order: group, channel block of that group, pixel block (tiling.hpp).
std::vector<Tile> make_tiles(const ConvShape& sh, const ArchParams& arch) {
  std::vector<Tile> tiles;
  for (int64_t g = 0; g < sh.groups; ++g) {
    const int64_t k_end = (g + 1) * sh.group_out_c();
    for (int64_t k0 = g * sh.group_out_c(); k0 < k_end; k0 += arch.lanes) {
      for (int64_t p0 = 0; p0 < sh.out_pixels(); p0 += arch.collector_depth) {
        tiles.push_back({k0, std::min<int64_t>(arch.lanes, k_end - k0), p0,
                         std::min<int64_t>(arch.collector_depth, sh.out_pixels() - p0)});
      }
    }
  }
  return tiles;
}

// The vectors i of a pass [j0, j1) split into at most four classes, each reading the same tap range.
struct VectorClass {
  int64_t vectors, tap_first, tap_last;  // empty tap range when tap_first > tap_last
};

std::vector<VectorClass> vector_classes(int64_t j0, int64_t j1, int64_t nv) {
  const int64_t ta = j0 / nv, tb = (j1 - 1) / nv, ia = j0 % nv, ib = (j1 - 1) % nv;
  if (ta == tb) return {{ib - ia + 1, ta, ta}};
  return {{std::max<int64_t>(0, ib - ia + 1), ta, tb},         // ia ≤ i ≤ ib: every tap
          {nv - std::max(ia, ib + 1), ta, tb - 1},             // i > ib: not the last tap
          {std::min(ia, ib + 1), ta + 1, tb},                  // i < ia: not the first tap
          {std::max<int64_t>(0, ia - ib - 1), ta + 1, tb - 1}};  // neither
}

// Counts distinct input rows (ConvShape::input_row) read by a set of tiles through a tap range.
class WindowCounter {
 public:
  explicit WindowCounter(const ConvShape& sh) : sh_(sh), stamp_(sh.in_h * sh.in_w * sh.groups, 0) {}

  void begin() {
    if (++gen_ == 0) {  // wrapped: clear the stamps once
      std::fill(stamp_.begin(), stamp_.end(), 0);
      gen_ = 1;
    }
    count_ = 0;
  }
  // Adds the rows tile `t` reads through taps [first, last]; calls on_new(row) for every row new to the set.
  template <class F>
  void add(const Tile& t, int64_t first, int64_t last, F on_new) {
    const int64_t g = sh_.group_of(t.k0);
    for (int64_t tap = first; tap <= last; ++tap) {
      const int64_t r = tap / sh_.kernel_w, s = tap % sh_.kernel_w;
      for (int64_t p = t.p0; p < t.p0 + t.p_count; ++p) {
        const int64_t ih = (p / sh_.out_w()) * sh_.stride - sh_.pad + r;
        const int64_t iw = (p % sh_.out_w()) * sh_.stride - sh_.pad + s;
        if (ih < 0 || ih >= sh_.in_h || iw < 0 || iw >= sh_.in_w) continue;  // padding: never stored
        const int64_t row = sh_.input_row(ih, iw, g);
        if (stamp_[row] != gen_) {
          stamp_[row] = gen_;
          ++count_;
          on_new(row);
        }
      }
    }
  }
  void add(const Tile& t, int64_t first, int64_t last) {
    add(t, first, last, [](int64_t) {});
  }
  int64_t count() const { return count_; }

 private:
  const ConvShape& sh_;
  std::vector<uint32_t> stamp_;
  uint32_t gen_ = 0;
  int64_t count_ = 0;
};

// Input vectors (pixel row, vector i) the tiles in [first, last) need for pass [j0, j1), each distinct
// (tile, row, i) counted once per set of tiles.
int64_t window_vectors(WindowCounter& wc, const std::vector<const Tile*>& tiles, int64_t j0, int64_t j1, int64_t nv) {
  int64_t vectors = 0;
  for (const VectorClass& c : vector_classes(j0, j1, nv)) {
    if (c.vectors == 0 || c.tap_first > c.tap_last) continue;
    wc.begin();
    for (const Tile* t : tiles) wc.add(*t, c.tap_first, c.tap_last);
    vectors += c.vectors * wc.count();
  }
  return vectors;
}

int64_t slot_entries(double kib, int entry_bits, int slots) {
  return static_cast<int64_t>(kib * 8192.0 / entry_bits) / slots;
}

}  // namespace

Packing weight_packing(const LayerJob& job, const ArchParams& arch) {
  return {job.weights->spec.bits(), arch.vector_size, scale_bits_of(*job.weights), arch.weight_buffer_entry_bits};
}

Packing input_packing(const LayerJob& job, const ArchParams& arch) {
  return {job.input->spec.bits(), arch.vector_size, scale_bits_of(*job.input), arch.input_buffer_entry_bits};
}

uint64_t output_bits(const LayerJob& job, int64_t pixels, int64_t k0, int64_t channels) {
  const quant::QuantSpec& s = job.output.spec;
  const uint64_t codes = uint64_t(pixels * channels) * s.bits();
  if (s.granularity != quant::Granularity::per_vector) return codes;
  const int64_t v = s.vector_size;
  const int64_t starts = (k0 + channels + v - 1) / v - (k0 + v - 1) / v;  // multiples of V in [k0, k0 + channels)
  return codes + uint64_t(pixels * starts) * s.vector_scale_storage_bits();
}

TilingPlan plan_tiling(const LayerJob& job, const ArchParams& arch) {
  const ConvShape& sh = job.shape;
  const Packing wp = weight_packing(job, arch), ip = input_packing(job, arch);
  const int64_t nv = job.weights->vectors_per_row;
  TilingPlan plan;
  plan.reduction_steps = sh.taps() * nv;
  plan.weight_slot_entries = slot_entries(arch.weight_buffer_kib, wp.entry_bits, arch.buffer_slots());
  plan.input_slot_entries = slot_entries(arch.input_buffer_kib, ip.entry_bits, arch.buffer_slots());
  plan.weight_bits = uint64_t(job.weights->shape.rows * nv) * wp.vector_bits();
  plan.input_bits = uint64_t(job.input->shape.rows * nv) * ip.vector_bits();
  plan.output_bits = output_bits(job, sh.out_pixels(), 0, sh.out_c);
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(fmt::format("layer '{}' cannot be tiled: {}", job.name, what));
  };
  if (wp.element_bits > wp.entry_bits || ip.element_bits > ip.entry_bits) {
    fail(fmt::format("buffer rows of {} (weights) / {} (inputs) bits are narrower than one {}-bit / {}-bit element",
                     wp.entry_bits, ip.entry_bits, wp.element_bits, ip.element_bits));
  }

  // Weights: the widest tile holds k lanes × J vectors, each lane's vectors packed in its own rows.
  const int64_t k_max = std::min<int64_t>(arch.lanes, sh.group_out_c());
  const int64_t rows_per_lane = plan.weight_slot_entries / k_max;
  const int64_t j_weights = wp.vectors_per_entry() > 0 ? rows_per_lane * wp.vectors_per_entry()
                                                       : rows_per_lane / wp.entries_per_vector();
  if (j_weights < 1) {
    fail(fmt::format("one reduction step of a {}-lane tile needs {} weight-buffer rows of {} bits; a slot of the "
                     "{} KiB weight buffer holds {} ({})",
                     k_max, k_max * wp.entries_for(1), wp.entry_bits, arch.weight_buffer_kib, plan.weight_slot_entries,
                     arch.double_buffering ? "half of it: double buffering" : "all of it"));
  }
  // Inputs: halve J until the window of every pixel block and pass fits a slot.
  const std::vector<Tile> tiles = make_tiles(sh, arch);
  WindowCounter wc(sh);
  int64_t j = std::min(plan.reduction_steps, j_weights);
  while (true) {
    int64_t worst = 0;
    for (const Tile& t : tiles) {
      if (t.k0 != 0) break;  // pixel blocks repeat for every channel block; the window ignores the group
      const std::vector<const Tile*> one{&t};
      for (int64_t j0 = 0; j0 < plan.reduction_steps; j0 += j) {
        worst = std::max(worst, ip.entries_for(window_vectors(wc, one, j0, std::min(j0 + j, plan.reduction_steps), nv)));
      }
    }
    if (worst <= plan.input_slot_entries) break;
    if (j == 1) {
      fail(fmt::format("the input window of one reduction step needs {} input-buffer rows of {} bits; a slot of the "
                       "{} KiB input buffer holds {} ({})",
                       worst, ip.entry_bits, arch.input_buffer_kib, plan.input_slot_entries,
                       arch.double_buffering ? "half of it: double buffering" : "all of it"));
    }
    j = (j + 1) / 2;
  }
  plan.pass_steps = j;
  wc.begin();
  for (const Tile& t : tiles) {
    if (t.k0 % sh.group_out_c() == 0) wc.add(t, 0, sh.taps() - 1);  // every group's first channel block
  }
  plan.input_read_bits = uint64_t(wc.count() * nv) * ip.vector_bits();

  const uint64_t gbuf_bits = static_cast<uint64_t>(arch.gbuf_kib * 8192.0);
  if (plan.weight_bits + plan.input_bits <= gbuf_bits) {
    plan.weights_resident = plan.input_resident = true;
  } else if (plan.input_bits <= gbuf_bits) {
    plan.input_resident = true;
  } else if (plan.weight_bits <= gbuf_bits) {
    plan.weights_resident = true;
  }
  return plan;
}

std::vector<WavePtr> plan_waves(const LayerJob& job, std::size_t layer, const ArchParams& arch,
                                const TilingPlan& plan) {
  const ConvShape& sh = job.shape;
  const Packing wp = weight_packing(job, arch), ip = input_packing(job, arch);
  const int64_t nv = job.weights->vectors_per_row, passes = plan.passes();
  const std::vector<Tile> tiles = make_tiles(sh, arch);
  WindowCounter wc(sh);
  std::vector<uint8_t> weights_fetched(plan.weights_resident ? sh.out_c * passes : 0, 0);
  std::vector<uint8_t> rows_fetched(plan.input_resident ? job.input->shape.rows : 0, 0);
  std::vector<std::pair<int64_t, int64_t>> held(arch.pes, {-1, -1});  // (k0, pass) in each PE's weight buffer
  const int64_t input_reads = (ip.entries_per_vector() + arch.input_buffer_ports - 1) / arch.input_buffer_ports;

  std::vector<WavePtr> waves;
  for (std::size_t t0 = 0; t0 < tiles.size(); t0 += arch.pes) {
    const std::size_t t1 = std::min(tiles.size(), t0 + arch.pes);
    int64_t depth = 0, k_max = 0;
    for (std::size_t t = t0; t < t1; ++t) {
      depth = std::max(depth, tiles[t].p_count);
      k_max = std::max(k_max, tiles[t].k_count);
    }
    const int64_t weight_reads = (k_max * wp.entries_per_vector() + arch.weight_buffer_ports - 1) / arch.weight_buffer_ports;
    for (int64_t pass = 0; pass < passes; ++pass) {
      auto w = std::make_shared<Wave>();
      w->job = &job;
      w->layer = layer;
      w->depth = depth;
      w->j0 = pass * plan.pass_steps;
      w->j1 = std::min(w->j0 + plan.pass_steps, plan.reduction_steps);
      w->first_pass = pass == 0;
      w->last_pass = pass == passes - 1;
      w->steps = (w->j1 - w->j0) * depth;
      w->issue_cycles = (w->j1 - w->j0) * std::max(depth * input_reads, weight_reads) * precision_steps(job, arch);
      const int64_t jn = w->j1 - w->j0;

      // Weights: PEs that do not hold (k0, pass) reload it; distinct blocks are read once and multicast.
      std::vector<int64_t> loaded;  // k0 of blocks loaded this pass
      std::vector<int64_t> pe_entries(t1 - t0, 0);
      for (std::size_t t = t0; t < t1; ++t) {
        const Tile& tile = tiles[t];
        w->tiles.push_back(tile);
        auto& h = held[t - t0];
        if (h.first == tile.k0 && h.second == pass) continue;
        h = {tile.k0, pass};
        const uint64_t bits = uint64_t(tile.k_count * jn) * wp.vector_bits();
        w->wbuf_write_bits += bits;
        pe_entries[t - t0] += tile.k_count * wp.entries_for(jn);
        if (std::find(loaded.begin(), loaded.end(), tile.k0) != loaded.end()) continue;
        loaded.push_back(tile.k0);
        w->gbuf_read_bits += bits;
        if (!plan.weights_resident) {
          w->dram_read_bits += bits;
        } else if (!weights_fetched[tile.k0 * passes + pass]) {
          weights_fetched[tile.k0 * passes + pass] = 1;
          w->dram_read_bits += bits;
        }
      }
      // Inputs: every PE loads its window; distinct windows (pixel block, group) are read once.
      std::vector<const Tile*> distinct;
      for (std::size_t t = t0; t < t1; ++t) {
        const Tile& tile = tiles[t];
        const std::vector<const Tile*> one{&tile};
        const int64_t vectors = window_vectors(wc, one, w->j0, w->j1, nv);
        w->ibuf_write_bits += uint64_t(vectors) * ip.vector_bits();
        pe_entries[t - t0] += ip.entries_for(vectors);
        const bool seen = std::any_of(distinct.begin(), distinct.end(), [&](const Tile* d) {
          return d->p0 == tile.p0 && sh.group_of(d->k0) == sh.group_of(tile.k0);
        });
        if (seen) continue;
        distinct.push_back(&tile);
        w->gbuf_read_bits += uint64_t(vectors) * ip.vector_bits();
      }
      if (plan.input_resident) {  // first touch of an input row fetches all its vectors
        int64_t fresh = 0;
        wc.begin();
        for (const Tile* t : distinct) {
          wc.add(*t, w->j0 / nv, (w->j1 - 1) / nv, [&](int64_t row) {
            if (!rows_fetched[row]) {
              rows_fetched[row] = 1;
              ++fresh;
            }
          });
        }
        w->dram_read_bits += uint64_t(fresh * nv) * ip.vector_bits();
      } else {
        w->dram_read_bits += uint64_t(window_vectors(wc, distinct, w->j0, w->j1, nv)) * ip.vector_bits();
      }
      w->fill_entries = *std::max_element(pe_entries.begin(), pe_entries.end());
      waves.push_back(std::move(w));
    }
  }
  waves.back()->last_of_layer = true;
  return waves;
}

}  // namespace dlasim::hw
