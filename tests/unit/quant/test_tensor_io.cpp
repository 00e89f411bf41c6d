// Tests of the .npy/.npz reader and writer: round trips, exact float16 decoding, numpy-written fixtures
// (tests/data/npy, made by make_fixtures.py there) and the error messages for malformed files.
#include <unistd.h>
#include <zlib.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "quant/tensor_io.hpp"

#ifndef DLASIM_SOURCE_DIR
#error "DLASIM_SOURCE_DIR must be defined as a string literal naming the repository root"
#endif

using Catch::Contains;
using dlasim::quant::DType;
using dlasim::quant::dtype_name;
using dlasim::quant::dtype_size;
using dlasim::quant::NpyArray;
using dlasim::quant::parse_npy;
using dlasim::quant::parse_npz;
using dlasim::quant::read_npy;
using dlasim::quant::read_npz;
using dlasim::quant::serialize_npy;
using dlasim::quant::TensorFileError;
using dlasim::quant::write_npy;
using dlasim::quant::write_npz;

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

const DType kAllDTypes[] = {DType::float32, DType::float16, DType::int8, DType::uint8, DType::int32};

std::string fixture(const std::string& name) {
  return std::string(DLASIM_SOURCE_DIR) + "/tests/data/npy/" + name;
}

Bytes file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void put_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
  fs::path dir;
  TempDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("dlasim_tensor_io_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

std::string temp_name(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

void append_le16(Bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
void append_le32(Bytes& out, uint32_t v) {
  append_le16(out, v & 0xFFFF);
  append_le16(out, v >> 16);
}

// A version-`major`.0 .npy with the header text as given (plus the final newline) and `data` after it.
Bytes npy_with_header(const std::string& header, const Bytes& data = {}, int major = 1) {
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const uint32_t len = static_cast<uint32_t>(header.size() + 1);
  if (major == 1) {
    append_le16(out, len);
  } else {
    append_le32(out, len);
  }
  out.insert(out.end(), header.begin(), header.end());
  out.push_back('\n');
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes header_of(const std::string& descr, const std::string& shape, const Bytes& data = {}) {
  return npy_with_header("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }",
                         data);
}

NpyArray parse(const Bytes& b, const std::string& name = "h.npy") {
  return parse_npy(b.data(), b.size(), name);
}

// Independent float16 decoder: arithmetic on the fields instead of bit moves.
float reference_half(uint16_t h) {
  const bool negative = (h & 0x8000) != 0;
  const int exp = (h >> 10) & 0x1F;
  const int mant = h & 0x3FF;
  double v;
  if (exp == 0x1F) {
    v = mant == 0 ? INFINITY : NAN;
  } else if (exp == 0) {
    v = std::ldexp(mant, -24);
  } else {
    v = std::ldexp(1024 + mant, exp - 25);
  }
  return static_cast<float>(negative ? -v : v);
}

uint32_t float_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

NpyArray patterned(DType t, std::vector<int64_t> shape) {
  NpyArray a;
  a.dtype = t;
  a.shape = std::move(shape);
  a.data.resize(static_cast<std::size_t>(a.element_count()) * dtype_size(t));
  for (std::size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<uint8_t>(i * 37 + 11);
  return a;
}

void require_same(const NpyArray& got, const NpyArray& want) {
  CHECK(got.dtype == want.dtype);
  CHECK(got.shape == want.shape);
  CHECK(got.data == want.data);
}

// A zip member for the test's own archive builder (independent of write_npz), with knobs to corrupt it.
struct ZipMember {
  ZipMember(std::string n, Bytes d, uint16_t m) : name(std::move(n)), data(std::move(d)), method(m) {}
  std::string name;
  Bytes data;                   // uncompressed contents
  uint16_t method = 0;          // 0 stored, 8 deflated; any other value stores `data` as is
  uint16_t flags = 0;           // general purpose flags
  Bytes payload;                // if non-empty, replaces the compressed bytes
  int64_t recorded_size = -1;   // if >= 0, replaces the uncompressed size in the headers
  int64_t recorded_csize = -1;  // if >= 0, replaces the compressed size in the headers
  bool bad_crc = false;         // record the CRC-32 of different bytes
};

Bytes raw_deflate(const Bytes& in) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes out(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Bytes build_zip(const std::vector<ZipMember>& members) {
  Bytes out, central;
  for (const ZipMember& m : members) {
    Bytes body = !m.payload.empty() ? m.payload : m.method == 8 ? raw_deflate(m.data) : m.data;
    const uint32_t crc = static_cast<uint32_t>(crc32(0, m.data.data(), static_cast<uInt>(m.data.size()))) ^
                         (m.bad_crc ? 1u : 0u);
    const uint32_t size =
        m.recorded_size >= 0 ? static_cast<uint32_t>(m.recorded_size) : static_cast<uint32_t>(m.data.size());
    const uint32_t csize =
        m.recorded_csize >= 0 ? static_cast<uint32_t>(m.recorded_csize) : static_cast<uint32_t>(body.size());
    const uint32_t offset = static_cast<uint32_t>(out.size());
    for (int c = 0; c < 2; ++c) {
      Bytes& h = c == 0 ? out : central;
      append_le32(h, c == 0 ? 0x04034b50 : 0x02014b50);
      if (c == 1) append_le16(h, 20);
      for (uint32_t v : {20u, uint32_t{m.flags}, uint32_t{m.method}, 0u, 0x21u}) append_le16(h, v);
      append_le32(h, crc);
      append_le32(h, csize);
      append_le32(h, size);
      append_le16(h, static_cast<uint32_t>(m.name.size()));
      append_le16(h, 0);
      if (c == 1) {
        for (int i = 0; i < 3; ++i) append_le16(h, 0);
        append_le32(h, 0);
        append_le32(h, offset);
      }
      h.insert(h.end(), m.name.begin(), m.name.end());
      if (c == 0) h.insert(h.end(), body.begin(), body.end());
    }
  }
  const uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out.insert(out.end(), central.begin(), central.end());
  append_le32(out, 0x06054b50);
  append_le32(out, 0);
  append_le16(out, static_cast<uint32_t>(members.size()));
  append_le16(out, static_cast<uint32_t>(members.size()));
  append_le32(out, static_cast<uint32_t>(central.size()));
  append_le32(out, cd_offset);
  append_le16(out, 0);
  return out;
}

const NpyArray kW = NpyArray::from_float({0.0f, 1.5f, -2.0f, 3.25f, 1e-8f, 65504.0f}, {2, 3});

}  // namespace

// ---- round trips --------------------------------------------------------------------------------------

TEST_CASE("tensor_io: dtype names and sizes", "[quant][tensor_io]") {
  CHECK(std::string(dtype_name(DType::float32)) == "float32");
  CHECK(std::string(dtype_name(DType::float16)) == "float16");
  CHECK(std::string(dtype_name(DType::int8)) == "int8");
  CHECK(std::string(dtype_name(DType::uint8)) == "uint8");
  CHECK(std::string(dtype_name(DType::int32)) == "int32");
  CHECK(dtype_size(DType::float32) == 4);
  CHECK(dtype_size(DType::float16) == 2);
  CHECK(dtype_size(DType::int8) == 1);
  CHECK(dtype_size(DType::uint8) == 1);
  CHECK(dtype_size(DType::int32) == 4);
}

TEST_CASE("tensor_io: serialize/parse round-trips every dtype and shape", "[quant][tensor_io]") {
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {5}, {2, 3, 4}, {2, 0, 3}};
  for (DType t : kAllDTypes) {
    for (const auto& shape : shapes) {
      const NpyArray a = patterned(t, shape);
      INFO(dtype_name(t) << " shape rank " << shape.size());
      const Bytes bytes = serialize_npy(a);
      CHECK(bytes[6] == 1);  // version 1.0
      CHECK(bytes[7] == 0);
      CHECK((bytes.size() - a.data.size()) % 64 == 0);  // data starts 64-byte aligned, like numpy
      require_same(parse(bytes), a);
    }
  }
}

TEST_CASE("tensor_io: write_npy/read_npy and write_npz/read_npz round-trip through files",
          "[quant][tensor_io]") {
  TempDir tmp;
  std::map<std::string, NpyArray> members;
  for (DType t : kAllDTypes) {
    const NpyArray a = patterned(t, {2, 3, 4});
    const std::string path = tmp.file(std::string(dtype_name(t)) + ".npy");
    write_npy(path, a);
    require_same(read_npy(path), a);
    members[std::string(dtype_name(t))] = a;
  }
  members["scalar"] = NpyArray::from_float({-7.5f}, {});
  members["empty"] = NpyArray::from_int8({}, {0});
  members["vec"] = NpyArray::from_uint8({1, 2, 3, 4, 5}, {5});
  const std::string npz = tmp.file("all.npz");
  write_npz(npz, members);
  const auto back = read_npz(npz);
  REQUIRE(back.size() == members.size());
  for (const auto& [key, a] : members) {
    INFO(key);
    REQUIRE(back.count(key) == 1);
    require_same(back.at(key), a);
  }
  CHECK_FALSE(fs::exists(temp_name(npz)));
  CHECK_THROWS_AS(write_npz(npz, {{"", kW}}), std::invalid_argument);  // no member name
}

TEST_CASE("tensor_io: write_npz is deterministic and writes a well-formed stored zip", "[quant][tensor_io]") {
  TempDir tmp;
  const std::map<std::string, NpyArray> members = {{"w", kW}, {"q", NpyArray::from_int8({-1, 2}, {2})}};
  write_npz(tmp.file("a.npz"), members);
  write_npz(tmp.file("b.npz"), members);
  const Bytes a = file_bytes(tmp.file("a.npz"));
  CHECK(a == file_bytes(tmp.file("b.npz")));
  REQUIRE(a.size() > 22);
  CHECK(a[0] == 'P');
  CHECK(a[1] == 'K');
  CHECK(a[2] == 3);
  CHECK(a[3] == 4);
  CHECK(a[8] == 0);  // method: stored
  const std::size_t end = a.size() - 22;
  CHECK(a[end] == 'P');
  CHECK(a[end + 1] == 'K');
  CHECK(a[end + 2] == 5);
  CHECK(a[end + 3] == 6);
  CHECK(a[end + 10] == 2);  // total entries
  // Members are written in key order; the first local header names "q.npy".
  CHECK(std::string(a.begin() + 30, a.begin() + 35) == "q.npy");
  // An empty archive is valid too.
  write_npz(tmp.file("empty.npz"), {});
  CHECK(file_bytes(tmp.file("empty.npz")).size() == 22);
  CHECK(read_npz(tmp.file("empty.npz")).empty());
}

TEST_CASE("tensor_io: float16 to float32 is exact for all 65536 halves", "[quant][tensor_io]") {
  NpyArray a;
  a.dtype = DType::float16;
  a.shape = {65536};
  for (uint32_t h = 0; h < 65536; ++h) {
    a.data.push_back(static_cast<uint8_t>(h));
    a.data.push_back(static_cast<uint8_t>(h >> 8));
  }
  const std::vector<float> f = a.to_float();
  REQUIRE(f.size() == 65536);
  int mismatches = 0;
  int nans = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float want = reference_half(static_cast<uint16_t>(h));
    bool ok;
    if (std::isnan(want)) {
      ++nans;
      // NaN payload and sign are kept, shifted to the top of the float mantissa (as numpy does).
      const uint32_t expect = ((h & 0x8000u) << 16) | 0x7F800000u | ((h & 0x3FFu) << 13);
      ok = std::isnan(f[h]) && float_bits(f[h]) == expect;
    } else {
      ok = float_bits(f[h]) == float_bits(want);  // bit equality also separates +0 from -0
    }
    if (!ok && mismatches++ < 5) {
      UNSCOPED_INFO("half 0x" << std::hex << h << " decoded to bits 0x" << float_bits(f[h]));
    }
  }
  CHECK(nans == 2 * 1023);
  CHECK(mismatches == 0);
}

TEST_CASE("tensor_io: to_float converts every dtype", "[quant][tensor_io]") {
  CHECK(kW.to_float() == std::vector<float>{0.0f, 1.5f, -2.0f, 3.25f, 1e-8f, 65504.0f});
  CHECK(NpyArray::from_int8({-128, -1, 0, 127}, {4}).to_float() == std::vector<float>{-128, -1, 0, 127});
  CHECK(NpyArray::from_uint8({0, 128, 255}, {3}).to_float() == std::vector<float>{0, 128, 255});
  const std::vector<int32_t> ints = {-2147483647 - 1, -1, 16777217, 2147483647};
  CHECK(NpyArray::from_int32(ints, {2, 2}).to_float() ==
        std::vector<float>{-2147483648.0f, -1.0f, 16777216.0f, 2147483648.0f});  // rounded to nearest float
  const NpyArray i32 = NpyArray::from_int32({1, -2}, {2});
  CHECK(i32.data == Bytes{1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF});  // little-endian bytes
  CHECK(NpyArray::from_float({1.0f}, {}).data == Bytes{0, 0, 0x80, 0x3F});
  CHECK(NpyArray::from_float({2.0f}, {}).element_count() == 1);
  CHECK(NpyArray::from_float({}, {3, 0}).element_count() == 0);
}

TEST_CASE("tensor_io: factories and serialize_npy reject inconsistent arrays", "[quant][tensor_io]") {
  CHECK_THROWS_AS(NpyArray::from_float({1.0f, 2.0f}, {3}), std::invalid_argument);
  CHECK_THROWS_WITH(NpyArray::from_int8({1}, {-1}), Contains("invalid shape (-1,)"));
  CHECK_THROWS_WITH(NpyArray::from_int32({1, 2}, {1}), Contains("2 values for shape (1,) (expected 1)"));
  NpyArray bad = kW;
  bad.data.pop_back();
  CHECK_THROWS_WITH(serialize_npy(bad), Contains("23 data bytes for float32 shape (2, 3) (expected 24)"));
}

// ---- numpy fixtures -----------------------------------------------------------------------------------

TEST_CASE("tensor_io: reads numpy .npy fixtures and re-serializes them byte for byte", "[quant][tensor_io]") {
  const NpyArray f32 = read_npy(fixture("f32_2x3.npy"));
  require_same(f32, kW);

  const NpyArray i8 = read_npy(fixture("i8.npy"));
  CHECK(i8.dtype == DType::int8);
  CHECK(i8.shape == std::vector<int64_t>{5});
  CHECK(i8.to_float() == std::vector<float>{-128, -1, 0, 1, 127});

  const NpyArray u8 = read_npy(fixture("u8_2x2.npy"));
  CHECK(u8.dtype == DType::uint8);
  CHECK(u8.shape == std::vector<int64_t>{2, 2});
  CHECK(u8.data == Bytes{0, 1, 128, 255});

  const NpyArray i32 = read_npy(fixture("i32_2x3.npy"));
  require_same(i32, NpyArray::from_int32({-2147483647 - 1, -1, 0, 1, 2147483647, 123456}, {2, 3}));

  const NpyArray scalar = read_npy(fixture("f32_scalar.npy"));
  CHECK(scalar.shape.empty());
  CHECK(scalar.to_float() == std::vector<float>{-7.5f});

  for (const char* name :
       {"f32_2x3.npy", "i8.npy", "u8_2x2.npy", "i32_2x3.npy", "f32_scalar.npy", "f16_special.npy"}) {
    INFO(name);
    CHECK(serialize_npy(read_npy(fixture(name))) == file_bytes(fixture(name)));
  }
}

TEST_CASE("tensor_io: reads numpy float16 fixture with zeros, subnormals, inf and nan",
          "[quant][tensor_io]") {
  const NpyArray a = read_npy(fixture("f16_special.npy"));
  CHECK(a.dtype == DType::float16);
  REQUIRE(a.shape == std::vector<int64_t>{12});
  const std::vector<float> f = a.to_float();
  const std::vector<float> want = {0.0f,
                                   -0.0f,
                                   1.0f,
                                   -2.5f,
                                   65504.0f,
                                   std::ldexp(1.0f, -14),
                                   std::ldexp(1.0f, -24),
                                   std::ldexp(1023.0f, -24),
                                   -std::ldexp(3.0f, -24),
                                   INFINITY,
                                   -INFINITY};
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(float_bits(f[i]) == float_bits(want[i]));
  }
  CHECK(std::isnan(f[11]));
}

TEST_CASE("tensor_io: reads version 2.0 and 3.0 headers", "[quant][tensor_io]") {
  const Bytes v2 = file_bytes(fixture("v2_f32.npy"));
  REQUIRE(v2[6] == 2);
  require_same(read_npy(fixture("v2_f32.npy")), NpyArray::from_float({1.0f, 2.0f, 3.0f}, {3}));
  const Bytes v3 = file_bytes(fixture("v3_i8.npy"));
  REQUIRE(v3[6] == 3);
  require_same(read_npy(fixture("v3_i8.npy")), NpyArray::from_int8({1, -2}, {1, 2}));
  // A hand-made 2.0 header (uint32 length) parses the same.
  require_same(parse(npy_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", {7, 9}, 2)),
               NpyArray::from_uint8({7, 9}, {2}));
}

TEST_CASE("tensor_io: reads numpy.savez archives (stored, ZIP64 local extras)", "[quant][tensor_io]") {
  const auto z = read_npz(fixture("savez.npz"));
  REQUIRE(z.size() == 3);
  require_same(z.at("w"), kW);
  require_same(z.at("b"), NpyArray::from_int32({-2147483647 - 1, -1, 0}, {3}));
  CHECK(z.at("s").dtype == DType::float16);
  CHECK(z.at("s").shape.empty());
  CHECK(z.at("s").to_float() == std::vector<float>{0.5f});
}

TEST_CASE("tensor_io: reads numpy.savez_compressed archives (deflate)", "[quant][tensor_io]") {
  const auto z = read_npz(fixture("savez_compressed.npz"));
  REQUIRE(z.size() == 3);
  require_same(z.at("w"), kW);
  CHECK(z.at("q").to_float() == std::vector<float>{-128, -1, 0, 1, 127});
  const std::vector<float> ramp = z.at("ramp").to_float();
  REQUIRE(ramp.size() == 100);
  for (std::size_t i = 0; i < ramp.size(); ++i) CHECK(ramp[i] == static_cast<float>(i));
}

TEST_CASE("tensor_io: parse_npz reads archive bytes like read_npz reads the file", "[quant][tensor_io]") {
  for (const char* name : {"savez.npz", "savez_compressed.npz", "savez_stream.npz", "zip64.npz"}) {
    INFO(name);
    const Bytes bytes = file_bytes(fixture(name));
    const auto z = parse_npz(bytes.data(), bytes.size(), name);
    const auto want = read_npz(fixture(name));
    REQUIRE(z.size() == want.size());
    for (const auto& [key, a] : want) {
      REQUIRE(z.count(key) == 1);
      CHECK(z.at(key).dtype == a.dtype);
      CHECK(z.at(key).shape == a.shape);
      CHECK(z.at(key).data == a.data);
    }
  }
  const Bytes bad = file_bytes(fixture("bad_crc.npz"));
  REQUIRE_THROWS_AS(parse_npz(bad.data(), bad.size(), "mem.npz"), TensorFileError);
  REQUIRE_THROWS_WITH(parse_npz(bad.data(), bad.size(), "mem.npz"), Contains("mem.npz"));
  REQUIRE_THROWS_AS(parse_npz(nullptr, 0, "empty.npz"), TensorFileError);
}

TEST_CASE("tensor_io: reads archives with data descriptors and with ZIP64 records", "[quant][tensor_io]") {
  for (const char* name : {"savez_stream.npz", "zip64.npz"}) {
    INFO(name);
    const auto z = read_npz(fixture(name));
    REQUIRE(z.size() == 2);
    require_same(z.at("w"), kW);
    CHECK(z.at("q").to_float() == std::vector<float>{-128, -1, 0, 1, 127});
  }
}

TEST_CASE("tensor_io: bad numpy fixtures throw naming the file and the reason", "[quant][tensor_io]") {
  SECTION("float64") {
    REQUIRE_THROWS_WITH(
        read_npy(fixture("bad_f8.npy")),
        Contains("bad_f8.npy: unsupported dtype '<f8' (expected float32, float16, int8, uint8 or "
                 "int32)"));
  }
  SECTION("big-endian") {
    REQUIRE_THROWS_WITH(read_npy(fixture("bad_bigendian.npy")),
                        Contains("bad_bigendian.npy: unsupported big-endian dtype '>f4'"));
  }
  SECTION("Fortran order") {
    REQUIRE_THROWS_WITH(read_npy(fixture("bad_fortran.npy")),
                        Contains("bad_fortran.npy: Fortran-order (column-major) arrays are not supported"));
  }
  SECTION("truncated data") {
    REQUIRE_THROWS_WITH(read_npy(fixture("bad_truncated_data.npy")),
                        Contains("bad_truncated_data.npy: truncated: expected 24 data bytes, found 10"));
  }
  SECTION("truncated header") {
    REQUIRE_THROWS_WITH(
        read_npy(fixture("bad_truncated_header.npy")),
        Contains("bad_truncated_header.npy: truncated header: expected 118 header bytes, found 30"));
  }
  SECTION("not npy") {
    REQUIRE_THROWS_WITH(read_npy(fixture("bad_magic.npy")),
                        Contains("bad_magic.npy: not a .npy file (magic string \\x93NUMPY not found"));
  }
  SECTION("negative shape") {
    REQUIRE_THROWS_WITH(read_npy(fixture("bad_shape_negative.npy")),
                        Contains("bad_shape_negative.npy: shape entry -1 is negative"));
  }
  SECTION("npz with corrupted CRC") {
    REQUIRE_THROWS_WITH(read_npz(fixture("bad_crc.npz")),
                        Contains("bad_crc.npz[w]: CRC-32 mismatch (stored 0x"));
  }
  SECTION("missing file") {
    REQUIRE_THROWS_WITH(read_npy(fixture("no_such_file.npy")),
                        Contains("no_such_file.npy: cannot open (No such file or directory)"));
    REQUIRE_THROWS_WITH(read_npz(fixture("no_such_file.npz")), Contains("no_such_file.npz: cannot open"));
  }
  SECTION("an .npy is not an .npz") {
    REQUIRE_THROWS_WITH(
        read_npz(fixture("f32_2x3.npy")),
        Contains("f32_2x3.npy: not a zip archive (end of central directory record not found"));
  }
  SECTION("errors are TensorFileError") {
    REQUIRE_THROWS_AS(read_npy(fixture("bad_f8.npy")), TensorFileError);
    REQUIRE_THROWS_AS(read_npz(fixture("bad_crc.npz")), TensorFileError);
  }
}

// ---- header parsing -----------------------------------------------------------------------------------

TEST_CASE("tensor_io: header parser accepts any key order, spacing, quotes and trailing commas",
          "[quant][tensor_io]") {
  const Bytes six(24, 0);
  const std::vector<std::string> headers = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
      "{ 'fortran_order' :False,\t'shape':( 2 ,3 , ) ,'descr' : '<f4' , }   ",
      "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",  // Python 2 longs
      "{'descr':'<f4','fortran_order':False,'shape':(2,3)}\r\n  \n",
  };
  for (const std::string& h : headers) {
    INFO(h);
    const NpyArray a = parse(npy_with_header(h, six));
    CHECK(a.dtype == DType::float32);
    CHECK(a.shape == std::vector<int64_t>{2, 3});
  }
  CHECK(parse(header_of("<f4", "()", Bytes(4, 0))).shape.empty());
  CHECK(parse(header_of("<f4", "(5,)", Bytes(20, 0))).shape == std::vector<int64_t>{5});
  CHECK(parse(header_of("<f4", "(0,)")).shape == std::vector<int64_t>{0});
  CHECK(parse(header_of("<f4", "(3, 0, 4000000000)")).data.empty());
}

TEST_CASE("tensor_io: descr strings map to dtypes", "[quant][tensor_io]") {
  const std::vector<std::pair<std::string, DType>> ok = {
      {"<f4", DType::float32}, {"<f2", DType::float16}, {"<i4", DType::int32},
      {"|i1", DType::int8},    {"<i1", DType::int8},    {"=i1", DType::int8},
      {"|u1", DType::uint8},   {"<u1", DType::uint8},   {"=u1", DType::uint8},
  };
  for (const auto& [descr, t] : ok) {
    INFO(descr);
    const NpyArray a = parse(header_of(descr, "(1,)", Bytes(dtype_size(t), 0)));
    CHECK(a.dtype == t);
  }
  const std::string supported = "(expected float32, float16, int8, uint8 or int32)";
  for (const char* descr : {"<f8", "|b1", "|O", "<U3", "<i8", "<u2", "|f4", "|V4", "<M8[ns]", "", "f4"}) {
    INFO(descr);
    REQUIRE_THROWS_WITH(parse(header_of(descr, "(1,)")),
                        Contains(std::string("h.npy: unsupported dtype '") + descr + "' " + supported));
  }
  REQUIRE_THROWS_WITH(parse(header_of(">f4", "(1,)")),
                      Contains("h.npy: unsupported big-endian dtype '>f4' (expected little-endian '<f4')"));
  REQUIRE_THROWS_WITH(parse(header_of(">i4", "(1,)")), Contains("big-endian dtype '>i4'"));
  REQUIRE_THROWS_WITH(parse(header_of("=f4", "(1,)")), Contains("dtype '=f4' has native byte order"));
  REQUIRE_THROWS_WITH(
      parse(npy_with_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}")),
      Contains("h.npy: unsupported dtype [('a', '<f4')] (structured dtypes are not supported"));
}

TEST_CASE("tensor_io: header parser rejects malformed headers with specific reasons", "[quant][tensor_io]") {
  const auto h = [](const std::string& text) { return npy_with_header(text); };
  const std::string fo = "'fortran_order': False";
  CHECK_THROWS_WITH(parse(h("{'descr': '<f4', " + fo + "}")),
                    Contains("h.npy: header is missing key 'shape'"));
  CHECK_THROWS_WITH(parse(h("{'shape': (1,), " + fo + "}")), Contains("header is missing key 'descr'"));
  CHECK_THROWS_WITH(parse(h("{'shape': (1,), 'descr': '<f4'}")),
                    Contains("header is missing key 'fortran_order'"));
  CHECK_THROWS_WITH(parse(h("{'descr': '<f4', " + fo + ", 'shape': (1,), 'foo': 1}")),
                    Contains("header has unexpected key 'foo'"));
  CHECK_THROWS_WITH(parse(h("{'descr': '<f4', 'descr': '<f4', " + fo + ", 'shape': (1,)}")),
                    Contains("header has duplicate key 'descr'"));
  CHECK_THROWS_WITH(parse(h("{1: 2}")), Contains("header key 1 is not a string"));
  CHECK_THROWS_WITH(parse(h("['descr', '<f4']")), Contains("h.npy: header is not a dictionary"));
  CHECK_THROWS_WITH(parse(h("{'descr': '<f4', " + fo + ", 'shape': (1,)")),
                    Contains("h.npy: malformed header at character"));
  CHECK_THROWS_WITH(parse(h("{'descr': '<f4', " + fo + ", 'shape': (1,)} x")),
                    Contains("unexpected text after the header dictionary"));
  CHECK_THROWS_WITH(parse(h("{'descr': '<f4}")), Contains("unterminated string"));
  CHECK_THROWS_WITH(parse(h("{'descr': '<f4' 'shape': (1,)}")), Contains("expected ',' or '}'"));
  CHECK_THROWS_WITH(parse(h("{'descr' '<f4'}")), Contains("expected ':' after a dictionary key"));
  CHECK_THROWS_WITH(parse(h("{'descr': <f4}")), Contains("unexpected character '<'"));
  CHECK_THROWS_WITH(parse(h("{'descr': float32}")), Contains("unexpected name 'float32'"));
  CHECK_THROWS_WITH(parse(h(std::string(40, '(') + "1" + std::string(40, ')'))),
                    Contains("nesting too deep"));
  CHECK_THROWS_WITH(parse(h("")), Contains("unexpected end of header"));
  CHECK_THROWS_WITH(parse(h("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}")),
                    Contains("fortran_order must be True or False, got 0"));

  CHECK_THROWS_WITH(parse(header_of("<f4", "[2, 3]")),
                    Contains("shape must be a tuple of integers, got [2, 3]"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "(5)")), Contains("shape must be a tuple of integers, got (5)"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "(2.5, 3)")), Contains("shape entry 2.5 is not an integer"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "(1e3,)")), Contains("shape entry 1e3 is not an integer"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "('2', 3)")), Contains("shape entry '2' is not an integer"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "(None,)")), Contains("shape entry None is not an integer"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "(2, -3)")),
                    Contains("shape entry -3 is negative (shape (2, -3))"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "(99999999999999999999,)")),
                    Contains("element count overflow: shape entry 99999999999999999999 exceeds 2^63-1"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "(4294967296, 4294967296)")),
                    Contains("h.npy: element count overflow: shape (4294967296, 4294967296)"));
  CHECK_THROWS_WITH(parse(header_of("<f4", "(2305843009213693952, 2)")),
                    Contains("h.npy: element count overflow: shape (2305843009213693952, 2) of float32"));
}

TEST_CASE("tensor_io: framing errors: magic, version, truncation, trailing data", "[quant][tensor_io]") {
  const Bytes good = serialize_npy(kW);
  CHECK_THROWS_WITH(parse(Bytes{}), Contains("h.npy: truncated header: expected at least 10 bytes, found 0"));
  CHECK_THROWS_WITH(parse(Bytes(good.begin(), good.begin() + 4)), Contains("truncated header"));
  CHECK_THROWS_WITH(parse(Bytes(good.begin(), good.begin() + 9)),
                    Contains("truncated header: expected at least 10 bytes, found 9"));
  CHECK_THROWS_WITH(parse(Bytes{'N', 'U', 'M', 'P', 'Y'}), Contains("not a .npy file"));
  Bytes v = good;
  v[6] = 4;
  CHECK_THROWS_WITH(parse(v),
                    Contains("h.npy: unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)"));
  v[6] = 1;
  v[7] = 1;
  CHECK_THROWS_WITH(parse(v), Contains("unsupported .npy format version 1.1"));
  Bytes extra = good;
  extra.push_back(0);
  CHECK_THROWS_WITH(parse(extra),
                    Contains("h.npy: unexpected trailing data: expected 24 data bytes, found 25"));
  Bytes shorter = good;
  shorter.pop_back();
  CHECK_THROWS_WITH(parse(shorter), Contains("h.npy: truncated: expected 24 data bytes, found 23"));
}

// ---- npz errors ---------------------------------------------------------------------------------------

TEST_CASE("tensor_io: npz reader checks archive structure, compression and CRC", "[quant][tensor_io]") {
  TempDir tmp;
  const std::string path = tmp.file("a.npz");
  const Bytes w = serialize_npy(kW);
  const auto read_zip = [&](const std::vector<ZipMember>& members) {
    put_file(path, build_zip(members));
    return read_npz(path);
  };

  SECTION("the test's own zip builder is read back, stored and deflated") {
    const auto z = read_zip({{"w.npy", w, 0}, {"d.npy", w, 8}});
    require_same(z.at("w"), kW);
    require_same(z.at("d"), kW);
  }
  SECTION("CRC mismatch names the member") {
    ZipMember m{"w.npy", w, 8};
    m.bad_crc = true;
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: CRC-32 mismatch"));
  }
  SECTION("member data runs past the central directory") {
    ZipMember m{"w.npy", w, 0};
    m.recorded_csize = static_cast<int64_t>(w.size()) + 100;
    m.recorded_size = m.recorded_csize;
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: truncated: member data needs"));
  }
  SECTION("stored member whose sizes disagree") {
    ZipMember m{"w.npy", w, 0};
    m.recorded_size = 10;
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: corrupt zip: stored member has compressed size"));
  }
  SECTION("corrupt deflate data") {
    ZipMember m{"w.npy", w, 8};
    m.payload = Bytes(40, 0xFF);
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: corrupt deflate data (zlib:"));
  }
  SECTION("deflate stream cut short") {
    ZipMember m{"w.npy", w, 8};
    m.payload = raw_deflate(w);
    m.payload.resize(m.payload.size() / 2);
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: truncated deflate data"));
  }
  SECTION("deflate output larger than recorded") {
    ZipMember m{"w.npy", w, 8};
    m.recorded_size = static_cast<int64_t>(w.size()) - 1;
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: deflate data expands beyond the recorded size"));
  }
  SECTION("deflate output smaller than recorded") {
    ZipMember m{"w.npy", w, 8};
    m.recorded_size = static_cast<int64_t>(w.size()) + 1;
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: deflate data expands to 152 bytes, expected 153"));
  }
  SECTION("implausible deflate ratio") {
    ZipMember m{"w.npy", w, 8};
    m.recorded_size = 0x7FFFFFFF;
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: corrupt sizes"));
  }
  SECTION("unsupported method and encryption") {
    CHECK_THROWS_WITH(
        read_zip({{"w.npy", w, 12}}),
        Contains("a.npz[w]: unsupported compression method 12 (expected 0 stored or 8 deflate)"));
    ZipMember m{"w.npy", w, 0};
    m.flags = 1;
    CHECK_THROWS_WITH(read_zip({m}), Contains("a.npz[w]: encrypted zip members are not supported"));
  }
  SECTION("member names") {
    CHECK_THROWS_WITH(read_zip({{"readme.txt", w, 0}}),
                      Contains("a.npz: member 'readme.txt' is not a .npy file"));
    CHECK_THROWS_WITH(read_zip({{"w.npy", w, 0}, {"w.npy", w, 8}}),
                      Contains("a.npz: duplicate member 'w.npy'"));
  }
  SECTION("a bad .npy member is reported with the member name") {
    const Bytes f8 = header_of("<f8", "(1,)", Bytes(8, 0));
    CHECK_THROWS_WITH(read_zip({{"w.npy", w, 0}, {"x.npy", f8, 8}}),
                      Contains("a.npz[x]: unsupported dtype '<f8'"));
  }
  SECTION("truncated and corrupt archives") {
    const Bytes zip = build_zip({{"w.npy", w, 0}});
    put_file(path, Bytes(zip.begin(), zip.begin() + static_cast<std::ptrdiff_t>(zip.size() - 10)));
    CHECK_THROWS_WITH(read_npz(path),
                      Contains("a.npz: not a zip archive (end of central directory record not found"));
    put_file(path, Bytes{});
    CHECK_THROWS_WITH(read_npz(path), Contains("a.npz: not a zip archive (0 bytes, too short)"));
    Bytes bad_cd = zip;
    bad_cd[bad_cd.size() - 22 + 16] ^= 0x40;  // central directory offset
    put_file(path, bad_cd);
    CHECK_THROWS_WITH(read_npz(path), Contains("a.npz: truncated or corrupt zip: central directory"));
    Bytes bad_local = zip;
    bad_local[0] = 'X';
    put_file(path, bad_local);
    CHECK_THROWS_WITH(read_npz(path),
                      Contains("a.npz[w]: corrupt zip: local file header not found at offset 0"));
  }
}

// ---- atomic writes ------------------------------------------------------------------------------------

TEST_CASE("tensor_io: writes replace files atomically and clean up on failure", "[quant][tensor_io]") {
  TempDir tmp;
  SECTION("overwrite replaces the file and leaves no temporary") {
    const std::string path = tmp.file("w.npy");
    write_npy(path, NpyArray::from_int8({1}, {1}));
    write_npy(path, kW);
    require_same(read_npy(path), kW);
    CHECK_FALSE(fs::exists(temp_name(path)));
  }
  SECTION("a member failing mid-archive leaves the existing file untouched") {
    const std::string path = tmp.file("a.npz");
    write_npz(path, {{"w", kW}});
    const Bytes before = file_bytes(path);
    NpyArray broken = kW;
    broken.data.resize(5);
    // Members are written in key order: "a" is written to the temporary file before "b" fails.
    CHECK_THROWS_AS(write_npz(path, {{"a", kW}, {"b", broken}}), std::invalid_argument);
    CHECK(file_bytes(path) == before);
    CHECK_FALSE(fs::exists(temp_name(path)));
  }
  SECTION("a failed rename removes the temporary") {
    const std::string path = tmp.file("dir.npy");
    fs::create_directories(fs::path(path) / "child");
    CHECK_THROWS_WITH(write_npy(path, kW), Contains("dir.npy: cannot rename"));
    CHECK_FALSE(fs::exists(temp_name(path)));
    CHECK(fs::is_directory(fs::path(path) / "child"));
  }
  SECTION("a missing directory is reported") {
    const std::string path = tmp.file("missing/w.npz");
    CHECK_THROWS_WITH(write_npz(path, {{"w", kW}}), Contains("missing/w.npz: cannot create temporary file"));
    CHECK_THROWS_AS(write_npy(path, kW), TensorFileError);
  }
}
