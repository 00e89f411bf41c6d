#include "quant/tensor_io.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// Reading is strict: anything numpy would not have written (or would refuse to read) is a TensorFileError,
// including bytes after the array data of a .npy file or .npz member. Writing matches numpy 1.24 byte for
// byte for .npy (version 1.0 header, numpy's growth spaces, padding to 64 bytes); .npz files carry a fixed
// DOS timestamp (1980-01-01 00:00) so equal inputs give equal files.

namespace dlasim::quant {
namespace {

using Bytes = std::vector<uint8_t>;

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw TensorFileError(name + ": " + what);
}

// ---- dtypes -------------------------------------------------------------------------------------------

struct DTypeInfo {
  DType type;
  const char* name;   // numpy's dtype name
  std::size_t size;   // bytes per element
  const char* descr;  // what serialize_npy writes; descr[0] is the byte-order marker
};

constexpr DTypeInfo kDTypes[] = {
    {DType::float32, "float32", 4, "<f4"}, {DType::float16, "float16", 2, "<f2"},
    {DType::int8, "int8", 1, "|i1"},       {DType::uint8, "uint8", 1, "|u1"},
    {DType::int32, "int32", 4, "<i4"},
};

const DTypeInfo& info(DType t) {
  for (const DTypeInfo& d : kDTypes)
    if (d.type == t) return d;
  throw std::invalid_argument("tensor_io: invalid DType value " + std::to_string(static_cast<int>(t)));
}

constexpr char kSupportedDTypes[] = "(expected float32, float16, int8, uint8 or int32)";

// Maps a numpy descr string to a dtype. Multi-byte types must be little-endian ('<'); single-byte types
// accept every byte-order marker since byte order does not apply to them.
DType dtype_from_descr(const std::string& descr, const std::string& name) {
  if (descr.size() >= 2) {
    const char order = descr[0];
    const std::string kind = descr.substr(1);
    for (const DTypeInfo& d : kDTypes) {
      if (kind != d.descr + 1) continue;
      if (d.size == 1 && (order == '|' || order == '<' || order == '=' || order == '>')) return d.type;
      if (order == '<') return d.type;
      if (order == '>')
        fail(name, "unsupported big-endian dtype '" + descr + "' (expected little-endian '<" + kind + "')");
      if (order == '=')
        fail(name, "dtype '" + descr + "' has native byte order, which a file cannot rely on (expected '<" +
                       kind + "')");
    }
  }
  fail(name, "unsupported dtype '" + descr + "' " + kSupportedDTypes);
}

// ---- little-endian byte access ------------------------------------------------------------------------

uint16_t load_le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t load_le64(const uint8_t* p) {
  return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}

void store_le32(uint8_t* p, uint32_t v) {
  for (int b = 0; b < 4; ++b) p[b] = static_cast<uint8_t>(v >> (8 * b));
}

void append_le16(Bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
void append_le32(Bytes& out, uint32_t v) {
  append_le16(out, v & 0xFFFFu);
  append_le16(out, v >> 16);
}

float float_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
uint32_t bits_from_float(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// IEEE binary16 → binary32, exact for every input. Subnormal halves become normal floats; NaN payloads are
// kept (shifted into the top of the float mantissa, not quieted), as numpy's npy_half_to_float does.
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) return float_from_bits(sign | 0x7F800000u | (mant << 13));
  if (exp != 0) return float_from_bits(sign | ((exp + 127 - 15) << 23) | (mant << 13));
  if (mant == 0) return float_from_bits(sign);
  // Subnormal: mant · 2^-24. Shift the leading one up to bit 10, lowering the exponent once per shift.
  uint32_t float_exp = 127 - 15 + 1;
  while ((mant & 0x400u) == 0) {
    mant <<= 1;
    --float_exp;
  }
  return float_from_bits(sign | (float_exp << 23) | ((mant & 0x3FFu) << 13));
}

// ---- shapes -------------------------------------------------------------------------------------------

std::string format_shape(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// Product of the shape entries, or -1 if an entry is negative or the product exceeds int64.
int64_t checked_element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

// Bytes of element data for a valid shape, or SIZE_MAX when they do not fit in memory addresses.
std::size_t data_byte_count(int64_t elements, DType t) {
  const uint64_t size = info(t).size;
  if (static_cast<uint64_t>(elements) > std::numeric_limits<std::size_t>::max() / size)
    return std::numeric_limits<std::size_t>::max();
  return static_cast<std::size_t>(elements) * size;
}

// An array of `count` elements of type `t` with zeroed data; throws std::invalid_argument unless `shape` is
// valid and holds exactly `count` elements. `fn` names the calling factory in messages.
NpyArray sized_array(DType t, std::size_t count, std::vector<int64_t> shape, const char* fn) {
  const int64_t n = checked_element_count(shape);
  if (n < 0)
    throw std::invalid_argument(std::string("NpyArray::") + fn + ": invalid shape " + format_shape(shape));
  if (static_cast<uint64_t>(n) != count)
    throw std::invalid_argument(std::string("NpyArray::") + fn + ": " + std::to_string(count) +
                                " values for shape " + format_shape(shape) + " (expected " +
                                std::to_string(n) + ")");
  NpyArray a;
  a.dtype = t;
  a.shape = std::move(shape);
  a.data.resize(count * info(t).size);
  return a;
}

// ---- .npy header: a Python literal -------------------------------------------------------------------

// One parsed Python literal. Numbers keep their source text; the header validator decides what is allowed.
struct PyValue {
  enum class Kind { string, number, boolean, none, tuple, list, dict };
  Kind kind = Kind::none;
  std::string text;            // string: contents; number: literal as written
  bool flag = false;           // boolean: True/False
  std::vector<PyValue> items;  // tuple/list: elements; dict: key, value, key, value, ...
  std::size_t begin = 0;       // span [begin, end) in the header text
  std::size_t end = 0;
};

// Recursive-descent parser for the literal subset numpy writes: str, int (Python 2 'L' suffix allowed),
// True/False/None, tuples, lists and dicts, with optional trailing commas and any whitespace.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  // The whole header: one value followed only by whitespace.
  PyValue parse_document() {
    PyValue v = parse_value(0);
    skip_space();
    if (pos_ != s_.size()) error("unexpected text after the header dictionary");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 16;

  [[noreturn]] void error(const std::string& what) const {
    std::string shown = s_.substr(0, 160);
    while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\n')) shown.pop_back();
    fail(name_, "malformed header at character " + std::to_string(pos_) + ": " + what + " in \"" + shown +
                    (s_.size() > 160 ? "..." : "") + "\"");
  }

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  PyValue parse_value(int depth) {
    if (depth > kMaxDepth) error("nesting too deep");
    skip_space();
    if (pos_ >= s_.size()) error("unexpected end of header");
    const std::size_t begin = pos_;
    PyValue v;
    const char c = s_[pos_];
    if (c == '\'' || c == '"') {
      v = parse_string();
    } else if (c == '(' || c == '[' || c == '{') {
      v = parse_container(depth);
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      v = parse_number();
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      v = parse_name();
    } else {
      error(std::string("unexpected character '") + c + "'");
    }
    v.begin = begin;
    v.end = pos_;
    return v;
  }

  PyValue parse_string() {
    const char quote = s_[pos_++];
    PyValue v;
    v.kind = PyValue::Kind::string;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\n') error("unterminated string");
      if (s_[pos_] == '\\') {
        ++pos_;
        if (pos_ >= s_.size()) break;
        if (s_[pos_] != '\\' && s_[pos_] != '\'' && s_[pos_] != '"') error("unsupported escape in string");
      }
      v.text += s_[pos_++];
    }
    if (pos_ >= s_.size()) error("unterminated string");
    ++pos_;
    return v;
  }

  // Sign, digits, '.', exponent and a trailing 'L': the literal text is kept for the validator.
  PyValue parse_number() {
    PyValue v;
    v.kind = PyValue::Kind::number;
    const std::size_t begin = pos_;
    if (s_[pos_] == '-' || s_[pos_] == '+') ++pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      const bool exp_sign = (c == '-' || c == '+') && (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E');
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && !exp_sign) break;
      ++pos_;
    }
    v.text = s_.substr(begin, pos_ - begin);
    if (v.text == "-" || v.text == "+" || v.text == ".") error("malformed number");
    return v;
  }

  PyValue parse_name() {
    const std::size_t begin = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    const std::string word = s_.substr(begin, pos_ - begin);
    PyValue v;
    if (word == "True" || word == "False") {
      v.kind = PyValue::Kind::boolean;
      v.flag = word == "True";
    } else if (word == "None") {
      v.kind = PyValue::Kind::none;
    } else {
      pos_ = begin;
      error("unexpected name '" + word + "'");
    }
    return v;
  }

  // Tuple, list or dict. "(x)" without a comma is a parenthesized value, as in Python.
  PyValue parse_container(int depth) {
    const char open = s_[pos_++];
    const char close = open == '(' ? ')' : open == '[' ? ']' : '}';
    PyValue v;
    v.kind = open == '(' ? PyValue::Kind::tuple : open == '[' ? PyValue::Kind::list : PyValue::Kind::dict;
    bool saw_comma = false;
    while (!consume(close)) {
      v.items.push_back(parse_value(depth + 1));
      if (v.kind == PyValue::Kind::dict) {
        if (!consume(':')) error("expected ':' after a dictionary key");
        v.items.push_back(parse_value(depth + 1));
      }
      if (consume(',')) {
        saw_comma = true;
        continue;
      }
      if (!consume(close)) error(std::string("expected ',' or '") + close + "'");
      break;
    }
    if (v.kind == PyValue::Kind::tuple && v.items.size() == 1 && !saw_comma) return v.items[0];
    return v;
  }

  const std::string& s_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

// Parses an integer literal ("12", "12L", "-3"): returns false if it is not one; sets `negative` and
// `too_large` (does not fit int64) for integers.
bool parse_int_literal(const std::string& text, int64_t& value, bool& negative, bool& too_large) {
  std::size_t i = 0, n = text.size();
  negative = false;
  too_large = false;
  if (i < n && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  if (n > i && (text[n - 1] == 'L' || text[n - 1] == 'l')) --n;
  if (i == n) return false;
  uint64_t magnitude = 0;
  for (; i < n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) too_large = true;
    if (!too_large) magnitude = magnitude * 10 + digit;
  }
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) too_large = true;
  if (negative && magnitude == 0) negative = false;
  value = too_large ? 0 : (negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude));
  return true;
}

struct NpyHeader {
  DType dtype = DType::float32;
  std::vector<int64_t> shape;
};

std::string raw_text(const std::string& header, const PyValue& v) {
  return header.substr(v.begin, v.end - v.begin);
}

DType header_dtype(const PyValue& v, const std::string& header, const std::string& name) {
  if (v.kind != PyValue::Kind::string)
    fail(name, "unsupported dtype " + raw_text(header, v) + " (structured dtypes are not supported; " +
                   (kSupportedDTypes + 1));
  return dtype_from_descr(v.text, name);
}

std::vector<int64_t> header_shape(const PyValue& v, const std::string& header, const std::string& name) {
  if (v.kind != PyValue::Kind::tuple)
    fail(name, "shape must be a tuple of integers, got " + raw_text(header, v));
  std::vector<int64_t> shape;
  for (const PyValue& item : v.items) {
    int64_t d = 0;
    bool negative = false, too_large = false;
    const std::string text = raw_text(header, item);
    if (item.kind != PyValue::Kind::number || !parse_int_literal(item.text, d, negative, too_large))
      fail(name, "shape entry " + text + " is not an integer (shape " + raw_text(header, v) + ")");
    if (negative) fail(name, "shape entry " + text + " is negative (shape " + raw_text(header, v) + ")");
    if (too_large)
      fail(name, "element count overflow: shape entry " + text + " exceeds 2^63-1 (shape " +
                     raw_text(header, v) + ")");
    shape.push_back(d);
  }
  if (checked_element_count(shape) < 0)
    fail(name, "element count overflow: shape " + format_shape(shape) + " has more than 2^63-1 elements");
  return shape;
}

// Checks the parsed header dictionary: exactly the keys 'descr', 'fortran_order' and 'shape', each once.
NpyHeader interpret_header(const PyValue& dict, const std::string& header, const std::string& name) {
  if (dict.kind != PyValue::Kind::dict)
    fail(name, "header is not a dictionary (expected {'descr': ..., 'fortran_order': ..., 'shape': ...})");
  const char* kKeys = "(expected 'descr', 'fortran_order' and 'shape')";
  const PyValue* descr = nullptr;
  const PyValue* fortran = nullptr;
  const PyValue* shape = nullptr;
  for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const PyValue& key = dict.items[i];
    if (key.kind != PyValue::Kind::string)
      fail(name, "header key " + raw_text(header, key) + " is not a string " + kKeys);
    const PyValue** slot = key.text == "descr"           ? &descr
                           : key.text == "fortran_order" ? &fortran
                           : key.text == "shape"         ? &shape
                                                         : nullptr;
    if (slot == nullptr) fail(name, "header has unexpected key '" + key.text + "' " + kKeys);
    if (*slot != nullptr) fail(name, "header has duplicate key '" + key.text + "'");
    *slot = &dict.items[i + 1];
  }
  if (descr == nullptr) fail(name, std::string("header is missing key 'descr' ") + kKeys);
  if (fortran == nullptr) fail(name, std::string("header is missing key 'fortran_order' ") + kKeys);
  if (shape == nullptr) fail(name, std::string("header is missing key 'shape' ") + kKeys);

  NpyHeader h;
  h.dtype = header_dtype(*descr, header, name);
  if (fortran->kind != PyValue::Kind::boolean)
    fail(name, "fortran_order must be True or False, got " + raw_text(header, *fortran));
  if (fortran->flag)
    fail(name, "Fortran-order (column-major) arrays are not supported (expected fortran_order False)");
  h.shape = header_shape(*shape, header, name);
  return h;
}

// ---- .npy framing -------------------------------------------------------------------------------------

constexpr uint8_t kNpyMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kNpyAlign = 64;          // numpy's ARRAY_ALIGN
constexpr std::size_t kGrowthAxisDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS

std::string header_text(const NpyArray& a) {
  std::string h = std::string("{'descr': '") + info(a.dtype).descr +
                  "', 'fortran_order': False, 'shape': " + format_shape(a.shape) + ", }";
  // numpy leaves room for the first axis to grow to 21 digits without rewriting the file.
  if (!a.shape.empty()) {
    const std::size_t digits = std::to_string(a.shape[0]).size();
    if (digits < kGrowthAxisDigits) h.append(kGrowthAxisDigits - digits, ' ');
  }
  return h;
}

// ---- whole-file I/O -----------------------------------------------------------------------------------

std::string errno_text(int err) {
  return std::strerror(err);
}

Bytes read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) fail(path, "cannot open (" + errno_text(errno) + ")");
  Bytes bytes;
  uint8_t buf[1 << 16];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + got);
  const int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) fail(path, "read error (" + errno_text(err) + ")");
  return bytes;
}

// A temporary "<path>.tmp.<pid>" that becomes `path` on commit() and is removed if never committed.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path)
      : path_(std::move(path)), tmp_(path_ + ".tmp." + std::to_string(::getpid())) {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) fail(path_, "cannot create temporary file " + tmp_ + " (" + errno_text(errno) + ")");
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }

  void write(const Bytes& bytes) {
    const uint8_t* p = bytes.data();
    std::size_t n = bytes.size();
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) fail(path_, "cannot write " + tmp_ + " (" + errno_text(w < 0 ? errno : EIO) + ")");
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    offset_ += bytes.size();
  }
  // Bytes written so far.
  uint64_t offset() const { return offset_; }

  // Flushes to disk, closes and renames over `path`.
  void commit() {
    if (::fsync(fd_) != 0) fail(path_, "cannot sync " + tmp_ + " (" + errno_text(errno) + ")");
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) fail(path_, "cannot close " + tmp_ + " (" + errno_text(errno) + ")");
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
      fail(path_, "cannot rename " + tmp_ + " to it (" + errno_text(errno) + ")");
    committed_ = true;
  }

 private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  bool committed_ = false;
};

// ---- zip (.npz) ---------------------------------------------------------------------------------------

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kFlagUtf8 = 0x0800;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflate = 8;
constexpr uint64_t kMaxDeflateRatio = 1032;  // deflate cannot expand more than ~1032:1

struct CentralDirectory {
  uint64_t offset = 0;  // bytes from the start of the file
  uint64_t size = 0;    // bytes
  uint64_t entries = 0;
};

struct ZipEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressed_size = 0;  // bytes
  uint64_t size = 0;             // uncompressed bytes
  uint64_t local_offset = 0;     // of the local file header
};

bool fits(const Bytes& zip, uint64_t offset, uint64_t n) {
  return offset <= zip.size() && n <= zip.size() - offset;
}

// Applies the ZIP64 end record when its locator sits right before the end-of-central-directory record.
void apply_zip64_end(const Bytes& zip, std::size_t end_pos, CentralDirectory& cd, const std::string& path) {
  if (end_pos < kZip64LocatorSize || load_le32(&zip[end_pos - kZip64LocatorSize]) != kZip64LocatorSig) return;
  const uint8_t* loc = &zip[end_pos - kZip64LocatorSize];
  if (load_le32(loc + 16) > 1) fail(path, "multi-disk zip archives are not supported");
  const uint64_t rec = load_le64(loc + 8);
  if (!fits(zip, rec, kZip64EndSize) || load_le32(&zip[rec]) != kZip64EndSig)
    fail(path,
         "corrupt zip: ZIP64 end of central directory record not found at offset " + std::to_string(rec));
  const uint8_t* p = &zip[rec];
  if (load_le32(p + 16) != 0 || load_le32(p + 20) != 0)
    fail(path, "multi-disk zip archives are not supported");
  cd.entries = load_le64(p + 32);
  cd.size = load_le64(p + 40);
  cd.offset = load_le64(p + 48);
}

// Finds the end-of-central-directory record (the last one whose comment fits in the file).
CentralDirectory find_central_directory(const Bytes& zip, const std::string& path) {
  if (zip.size() < kEndSize)
    fail(path, "not a zip archive (" + std::to_string(zip.size()) + " bytes, too short)");
  const std::size_t lowest = zip.size() >= kEndSize + 0xFFFF ? zip.size() - kEndSize - 0xFFFF : 0;
  for (std::size_t pos = zip.size() - kEndSize + 1; pos-- > lowest;) {
    const uint8_t* p = &zip[pos];
    if (load_le32(p) != kEndSig || pos + kEndSize + load_le16(p + 20) > zip.size()) continue;
    if (load_le16(p + 4) != 0 || load_le16(p + 6) != 0)
      fail(path, "multi-disk zip archives are not supported");
    CentralDirectory cd;
    cd.entries = load_le16(p + 10);
    cd.size = load_le32(p + 12);
    cd.offset = load_le32(p + 16);
    apply_zip64_end(zip, pos, cd, path);
    if (!fits(zip, cd.offset, cd.size) || cd.offset + cd.size > pos)
      fail(path, "truncated or corrupt zip: central directory (offset " + std::to_string(cd.offset) + ", " +
                     std::to_string(cd.size) + " bytes) lies outside the archive");
    return cd;
  }
  fail(path, "not a zip archive (end of central directory record not found; truncated?)");
}

// Replaces 0xFFFFFFFF sizes/offset with the 64-bit values of the ZIP64 extra field (id 0x0001), which holds
// exactly the saturated fields, in the order size, compressed size, local header offset.
void apply_zip64_extra(const uint8_t* extra, std::size_t n, ZipEntry& e, const std::string& path) {
  constexpr uint32_t kSaturated = 0xFFFFFFFFu;
  for (std::size_t i = 0; i + 4 <= n;) {
    const uint16_t id = load_le16(extra + i);
    const std::size_t len = load_le16(extra + i + 2);
    if (i + 4 + len > n) break;
    if (id == 0x0001) {
      const uint8_t* p = extra + i + 4;
      std::size_t left = len;
      for (uint64_t* field : {&e.size, &e.compressed_size, &e.local_offset}) {
        if (*field != kSaturated) continue;
        if (left < 8) fail(path, "corrupt ZIP64 extra field of member '" + e.name + "'");
        *field = load_le64(p);
        p += 8;
        left -= 8;
      }
      return;
    }
    i += 4 + len;
  }
}

std::vector<ZipEntry> read_central_directory(const Bytes& zip, const CentralDirectory& cd,
                                             const std::string& path) {
  std::vector<ZipEntry> entries;
  uint64_t pos = cd.offset;
  const uint64_t end = cd.offset + cd.size;
  for (uint64_t i = 0; i < cd.entries; ++i) {
    if (pos + kCentralHeaderSize > end || load_le32(&zip[pos]) != kCentralSig)
      fail(path, "corrupt zip: central directory entry " + std::to_string(i) + " not found at offset " +
                     std::to_string(pos));
    const uint8_t* p = &zip[pos];
    const std::size_t name_len = load_le16(p + 28), extra_len = load_le16(p + 30),
                      comment_len = load_le16(p + 32);
    if (pos + kCentralHeaderSize + name_len + extra_len + comment_len > end)
      fail(path, "corrupt zip: central directory entry " + std::to_string(i) + " overruns the directory");
    ZipEntry e;
    e.flags = load_le16(p + 8);
    e.method = load_le16(p + 10);
    e.crc = load_le32(p + 16);
    e.compressed_size = load_le32(p + 20);
    e.size = load_le32(p + 24);
    e.local_offset = load_le32(p + 42);
    e.name.assign(reinterpret_cast<const char*>(p + kCentralHeaderSize), name_len);
    apply_zip64_extra(p + kCentralHeaderSize + name_len, extra_len, e, path);
    entries.push_back(std::move(e));
    pos += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
  return entries;
}

std::string member_key(const std::string& name, const std::string& path) {
  const std::string suffix = ".npy";
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    fail(path, "member '" + name + "' is not a .npy file (expected member names ending in .npy)");
  return name.substr(0, name.size() - suffix.size());
}

// Raw inflate (no zlib/gzip wrapper) of exactly `expected` output bytes.
Bytes inflate_member(const uint8_t* in, uint64_t in_size, uint64_t expected, const std::string& label) {
  if (expected > in_size * kMaxDeflateRatio + 1024)
    fail(label, "corrupt sizes: " + std::to_string(in_size) + " deflated bytes cannot expand to " +
                    std::to_string(expected));
  Bytes out(static_cast<std::size_t>(expected));
  uint8_t dummy = 0;  // zlib needs a non-null output pointer even for empty output
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) fail(label, "cannot initialise zlib");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&zs};
  constexpr uint64_t kChunk = 1u << 30;  // z_stream counts are 32-bit
  uint64_t in_left = in_size, out_left = expected;
  uint8_t* out_next = out.empty() ? &dummy : out.data();
  for (;;) {
    if (zs.avail_in == 0 && in_left > 0) {
      zs.next_in = const_cast<Bytef*>(in + (in_size - in_left));
      zs.avail_in = static_cast<uInt>(std::min(in_left, kChunk));
      in_left -= zs.avail_in;
    }
    if (zs.avail_out == 0) {
      zs.next_out = out_next + (expected - out_left);
      zs.avail_out = static_cast<uInt>(std::min(out_left, kChunk));
      out_left -= zs.avail_out;
    }
    const int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR)
      fail(label, std::string("corrupt deflate data (zlib: ") + (zs.msg ? zs.msg : "error") + ")");
    if (zs.avail_in == 0 && in_left == 0) fail(label, "truncated deflate data (stream ends early)");
    if (zs.avail_out == 0 && out_left == 0)
      fail(label, "deflate data expands beyond the recorded size of " + std::to_string(expected) + " bytes");
  }
  const uint64_t produced = expected - out_left - zs.avail_out;
  if (produced != expected)
    fail(label, "deflate data expands to " + std::to_string(produced) + " bytes, expected " +
                    std::to_string(expected));
  return out;
}

// Member bytes, decompressed and CRC-checked. Sizes come from the central directory, so members written with
// data descriptors (local sizes zero) read the same. `data_end` bounds member data (the central directory).
Bytes extract_member(const Bytes& zip, const ZipEntry& e, uint64_t data_end, const std::string& label) {
  if (e.flags & kFlagEncrypted) fail(label, "encrypted zip members are not supported");
  if (!fits(zip, e.local_offset, kLocalHeaderSize) || load_le32(&zip[e.local_offset]) != kLocalSig)
    fail(label, "corrupt zip: local file header not found at offset " + std::to_string(e.local_offset));
  const uint8_t* lh = &zip[e.local_offset];
  const uint64_t start = e.local_offset + kLocalHeaderSize + load_le16(lh + 26) + load_le16(lh + 28);
  if (start > data_end || e.compressed_size > data_end - start)
    fail(label, "truncated: member data needs " + std::to_string(e.compressed_size) + " bytes at offset " +
                    std::to_string(start) + ", archive has " +
                    std::to_string(data_end > start ? data_end - start : 0));
  Bytes data;
  if (e.method == kMethodStored) {
    if (e.compressed_size != e.size)
      fail(label, "corrupt zip: stored member has compressed size " + std::to_string(e.compressed_size) +
                      " but size " + std::to_string(e.size));
    data.assign(zip.begin() + static_cast<std::ptrdiff_t>(start),
                zip.begin() + static_cast<std::ptrdiff_t>(start + e.size));
  } else if (e.method == kMethodDeflate) {
    data = inflate_member(&zip[0] + start, e.compressed_size, e.size, label);
  } else {
    fail(label,
         "unsupported compression method " + std::to_string(e.method) + " (expected 0 stored or 8 deflate)");
  }
  const uint32_t crc = static_cast<uint32_t>(crc32_z(0L, data.data(), data.size()));
  if (crc != e.crc) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "CRC-32 mismatch (stored 0x%08x, computed 0x%08x)", e.crc, crc);
    fail(label, buf);
  }
  return data;
}

// Local header or central directory entry for a stored member (no extra field, fixed DOS time).
void append_zip_header(Bytes& out, bool central, const std::string& name, uint32_t crc, uint32_t size,
                       uint32_t local_offset) {
  constexpr uint16_t kDosTime = 0;             // 00:00:00
  constexpr uint16_t kDosDate = (1 << 5) | 1;  // 1980-01-01
  constexpr uint16_t kVersion = 20;            // 2.0
  constexpr uint16_t kMadeByUnix = (3 << 8) | kVersion;
  const bool ascii = std::all_of(name.begin(), name.end(), [](char c) { return (c & 0x80) == 0; });
  append_le32(out, central ? kCentralSig : kLocalSig);
  if (central) append_le16(out, kMadeByUnix);
  append_le16(out, kVersion);
  append_le16(out, ascii ? 0 : kFlagUtf8);
  append_le16(out, kMethodStored);
  append_le16(out, kDosTime);
  append_le16(out, kDosDate);
  append_le32(out, crc);
  append_le32(out, size);  // compressed
  append_le32(out, size);  // uncompressed
  append_le16(out, static_cast<uint32_t>(name.size()));
  append_le16(out, 0);  // extra field length
  if (central) {
    append_le16(out, 0);               // comment length
    append_le16(out, 0);               // disk number
    append_le16(out, 0);               // internal attributes
    append_le32(out, 0100644u << 16);  // external attributes: regular file, rw-r--r--
    append_le32(out, local_offset);
  }
  out.insert(out.end(), name.begin(), name.end());
}

}  // namespace

// ---- public API ---------------------------------------------------------------------------------------

const char* dtype_name(DType t) {
  return info(t).name;
}
std::size_t dtype_size(DType t) {
  return info(t).size;
}

int64_t NpyArray::element_count() const {
  const int64_t n = checked_element_count(shape);
  if (n < 0) throw std::invalid_argument("NpyArray: invalid shape " + format_shape(shape));
  return n;
}

std::vector<float> NpyArray::to_float() const {
  const std::size_t n = static_cast<std::size_t>(element_count());
  const std::size_t size = dtype_size(dtype);
  if (data.size() != data_byte_count(static_cast<int64_t>(n), dtype))
    throw std::invalid_argument("NpyArray::to_float: " + std::to_string(data.size()) + " data bytes for " +
                                dtype_name(dtype) + " shape " + format_shape(shape));
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const uint8_t* p = &data[i * size];
    switch (dtype) {
      case DType::float32:
        out[i] = float_from_bits(load_le32(p));
        break;
      case DType::float16:
        out[i] = half_to_float(load_le16(p));
        break;
      case DType::int8:
        out[i] = static_cast<float>(static_cast<int8_t>(p[0]));
        break;
      case DType::uint8:
        out[i] = static_cast<float>(p[0]);
        break;
      case DType::int32:
        out[i] = static_cast<float>(static_cast<int32_t>(load_le32(p)));
        break;
    }
  }
  return out;
}

NpyArray NpyArray::from_float(const std::vector<float>& values, std::vector<int64_t> shape) {
  NpyArray a = sized_array(DType::float32, values.size(), std::move(shape), "from_float");
  for (std::size_t i = 0; i < values.size(); ++i) store_le32(&a.data[4 * i], bits_from_float(values[i]));
  return a;
}
NpyArray NpyArray::from_int8(const std::vector<int8_t>& values, std::vector<int64_t> shape) {
  NpyArray a = sized_array(DType::int8, values.size(), std::move(shape), "from_int8");
  for (std::size_t i = 0; i < values.size(); ++i) a.data[i] = static_cast<uint8_t>(values[i]);
  return a;
}
NpyArray NpyArray::from_uint8(const std::vector<uint8_t>& values, std::vector<int64_t> shape) {
  NpyArray a = sized_array(DType::uint8, values.size(), std::move(shape), "from_uint8");
  a.data = values;
  return a;
}
NpyArray NpyArray::from_int32(const std::vector<int32_t>& values, std::vector<int64_t> shape) {
  NpyArray a = sized_array(DType::int32, values.size(), std::move(shape), "from_int32");
  for (std::size_t i = 0; i < values.size(); ++i)
    store_le32(&a.data[4 * i], static_cast<uint32_t>(values[i]));
  return a;
}

NpyArray parse_npy(const uint8_t* bytes, std::size_t size, const std::string& name) {
  constexpr std::size_t kPrefix1 = 10;  // magic, version, uint16 header length
  constexpr std::size_t kPrefix2 = 12;  // magic, version, uint32 header length
  const std::size_t magic_seen = std::min(size, sizeof kNpyMagic);
  if (magic_seen > 0 && std::memcmp(bytes, kNpyMagic, magic_seen) != 0)
    fail(name, "not a .npy file (magic string \\x93NUMPY not found at the start)");
  if (size < 8) fail(name, "truncated header: expected at least 10 bytes, found " + std::to_string(size));
  const int major = bytes[6], minor = bytes[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    fail(name, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0, 2.0 or 3.0)");
  const std::size_t prefix = major == 1 ? kPrefix1 : kPrefix2;
  if (size < prefix)
    fail(name, "truncated header: expected at least " + std::to_string(prefix) + " bytes, found " +
                   std::to_string(size));
  const uint64_t header_len = major == 1 ? load_le16(bytes + 8) : load_le32(bytes + 8);
  if (header_len > size - prefix)
    fail(name, "truncated header: expected " + std::to_string(header_len) + " header bytes, found " +
                   std::to_string(size - prefix));
  const std::string header(reinterpret_cast<const char*>(bytes + prefix),
                           static_cast<std::size_t>(header_len));
  const NpyHeader h = interpret_header(HeaderParser(header, name).parse_document(), header, name);

  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  const std::size_t offset = prefix + static_cast<std::size_t>(header_len);
  const std::size_t need = data_byte_count(checked_element_count(a.shape), a.dtype);
  const std::size_t have = size - offset;
  if (need == std::numeric_limits<std::size_t>::max())
    fail(name, "element count overflow: shape " + format_shape(a.shape) + " of " + dtype_name(a.dtype) +
                   " does not fit in memory");
  if (have < need)
    fail(name, "truncated: expected " + std::to_string(need) + " data bytes, found " + std::to_string(have));
  if (have > need)
    fail(name, "unexpected trailing data: expected " + std::to_string(need) + " data bytes, found " +
                   std::to_string(have));
  a.data.assign(bytes + offset, bytes + size);
  return a;
}

NpyArray read_npy(const std::string& path) {
  const Bytes bytes = read_file(path);
  return parse_npy(bytes.data(), bytes.size(), path);
}

std::vector<uint8_t> serialize_npy(const NpyArray& a) {
  const int64_t n = a.element_count();
  if (a.data.size() != data_byte_count(n, a.dtype))
    throw std::invalid_argument("serialize_npy: " + std::to_string(a.data.size()) + " data bytes for " +
                                dtype_name(a.dtype) + " shape " + format_shape(a.shape) + " (expected " +
                                std::to_string(data_byte_count(n, a.dtype)) + ")");
  const std::string header = header_text(a);
  constexpr std::size_t kPrefix = 10;
  const std::size_t unpadded = kPrefix + header.size() + 1;  // + the final '\n'
  const std::size_t pad = kNpyAlign - unpadded % kNpyAlign;  // numpy pads a full 64 when already aligned
  const std::size_t header_len = header.size() + pad + 1;
  if (header_len > 0xFFFF)
    throw std::invalid_argument("serialize_npy: header of shape " + format_shape(a.shape) +
                                " is too long for a version 1.0 .npy file");
  Bytes out(kNpyMagic, kNpyMagic + sizeof kNpyMagic);
  out.push_back(1);
  out.push_back(0);
  append_le16(out, static_cast<uint32_t>(header_len));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), pad, ' ');
  out.push_back('\n');
  out.insert(out.end(), a.data.begin(), a.data.end());
  return out;
}

namespace {

std::map<std::string, NpyArray> npz_members(const Bytes& zip, const std::string& path) {
  const CentralDirectory cd = find_central_directory(zip, path);
  std::map<std::string, NpyArray> members;
  for (const ZipEntry& e : read_central_directory(zip, cd, path)) {
    const std::string key = member_key(e.name, path);
    if (members.count(key) != 0) fail(path, "duplicate member '" + e.name + "'");
    const std::string label = path + "[" + key + "]";
    const Bytes data = extract_member(zip, e, cd.offset, label);
    members.emplace(key, parse_npy(data.data(), data.size(), label));
  }
  return members;
}

}  // namespace

std::map<std::string, NpyArray> read_npz(const std::string& path) { return npz_members(read_file(path), path); }

std::map<std::string, NpyArray> parse_npz(const uint8_t* bytes, std::size_t size, const std::string& name) {
  return npz_members(Bytes(bytes, bytes + size), name);
}

void write_npy(const std::string& path, const NpyArray& a) {
  const Bytes bytes = serialize_npy(a);
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

void write_npz(const std::string& path, const std::map<std::string, NpyArray>& members) {
  constexpr uint64_t kZip32Limit = 0xFFFFFFFFu;  // ZIP64 records are not written
  if (members.size() >= 0xFFFF)
    fail(path, "too many members (" + std::to_string(members.size()) + "; write_npz writes at most 65534)");
  AtomicFile f(path);
  Bytes central;
  for (const auto& [key, array] : members) {
    if (key.empty()) throw std::invalid_argument("write_npz: " + path + ": empty member name");
    const std::string name = key + ".npy";
    const Bytes data = serialize_npy(array);
    if (data.size() >= kZip32Limit || f.offset() >= kZip32Limit)
      fail(path, "member '" + key + "' does not fit below 4 GiB (write_npz does not write ZIP64 archives)");
    const uint32_t crc = static_cast<uint32_t>(crc32_z(0L, data.data(), data.size()));
    const auto size = static_cast<uint32_t>(data.size());
    const auto offset = static_cast<uint32_t>(f.offset());
    Bytes local;
    append_zip_header(local, false, name, crc, size, 0);
    append_zip_header(central, true, name, crc, size, offset);
    f.write(local);
    f.write(data);
  }
  if (f.offset() >= kZip32Limit || central.size() >= kZip32Limit)
    fail(path, "archive exceeds 4 GiB (write_npz does not write ZIP64 archives)");
  Bytes end;
  append_le32(end, kEndSig);
  append_le16(end, 0);  // this disk
  append_le16(end, 0);  // disk with the central directory
  append_le16(end, static_cast<uint32_t>(members.size()));
  append_le16(end, static_cast<uint32_t>(members.size()));
  append_le32(end, static_cast<uint32_t>(central.size()));
  append_le32(end, static_cast<uint32_t>(f.offset()));
  append_le16(end, 0);  // comment length
  f.write(central);
  f.write(end);
  f.commit();
}

}  // namespace dlasim::quant
