#include "sim/eval/dataset.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <zlib.h>

#include "sim/input_error.hpp"

namespace dlasim::sim {

namespace {

// The whole decompressed content of a gzip file (a plain file is read as is, as gzread does).
std::vector<uint8_t> read_gzip(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw InputError(fmt::format("{}: no such file (Fashion-MNIST comes with the Debian package "
                                 "dataset-fashion-mnist; set eval.data_dir or --data-dir to another directory)",
                                 path));
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw InputError(fmt::format("{}: cannot open", path));
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      const std::string why = gzerror(f, &code);
      gzclose(f);
      throw InputError(fmt::format("{}: not a readable gzip file ({})", path, why));
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  gzclose(f);
  return out;
}

uint32_t be32(const std::vector<uint8_t>& b, std::size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | uint32_t(b[at + 3]);
}

// Checks the IDX header (magic, dims) and returns the dims; the data follows at 4 + 4·dims bytes.
std::vector<uint32_t> idx_dims(const std::vector<uint8_t>& b, const std::string& path, uint32_t magic, int ndims) {
  const std::size_t header = 4 + 4 * std::size_t(ndims);
  if (b.size() < header || be32(b, 0) != magic) {
    throw InputError(fmt::format("{}: not an IDX file of {} dimension(s) (expected magic 0x{:08x})", path, ndims,
                                 magic));
  }
  std::vector<uint32_t> dims;
  uint64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    dims.push_back(be32(b, 4 + 4 * d));
    total *= dims.back();
  }
  if (b.size() != header + total) {
    throw InputError(fmt::format("{}: {} data bytes, the header's dimensions need {} (truncated?)", path,
                                 b.size() - header, total));
  }
  return dims;
}

}  // namespace

ImageSet load_image_set(const std::string& dir, Split split) {
  const std::string prefix = (std::filesystem::path(dir) / (split == Split::train ? "train" : "t10k")).string();
  const std::string images_path = prefix + "-images-idx3-ubyte.gz", labels_path = prefix + "-labels-idx1-ubyte.gz";
  const std::vector<uint8_t> images = read_gzip(images_path), labels = read_gzip(labels_path);
  const std::vector<uint32_t> idims = idx_dims(images, images_path, 0x803, 3);
  const std::vector<uint32_t> ldims = idx_dims(labels, labels_path, 0x801, 1);
  if (idims[0] == 0) throw InputError(fmt::format("{}: holds no images", images_path));
  if (idims[0] != ldims[0]) {
    throw InputError(fmt::format("{}: {} images, but {} has {} labels", images_path, idims[0], labels_path, ldims[0]));
  }
  ImageSet set;
  set.count = idims[0];
  set.rows = idims[1];
  set.cols = idims[2];
  set.pixels.assign(images.begin() + 16, images.end());
  set.labels.assign(labels.begin() + 8, labels.end());
  for (int64_t i = 0; i < set.count; ++i) {
    if (set.labels[i] > 9) {
      throw InputError(fmt::format("{}: label {} of item {} is not a class in [0, 9]", labels_path, set.labels[i], i));
    }
  }
  return set;
}

std::vector<float> preprocess(const ImageSet& set, int64_t i, double mean, double std) {
  const uint8_t* p = set.image(i);
  std::vector<float> x(set.rows * set.cols);
  // In fp32, step by step, as torchvision's ToTensor + Normalize compute it.
  const float m = float(mean), sd = float(std);
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = (float(p[j]) / 255.0f - m) / sd;
  return x;
}

}  // namespace dlasim::sim
