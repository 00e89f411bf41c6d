// Labeled image sets in the IDX format of MNIST / Fashion-MNIST (gzip-compressed, as Debian's
// dataset-fashion-mnist ships them: <dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dlasim::sim {

// Debian's dataset-fashion-mnist location: the default of eval.data.
inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct ImageSet {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count × rows × cols, row-major
  std::vector<uint8_t> labels;  // count

  const uint8_t* image(int64_t i) const { return pixels.data() + i * rows * cols; }
};

// Which half of the set: the 60k training images (calibration) or the 10k test images (accuracy).
enum class Split { train, test };

// Reads <dir>/<train|t10k>-images-idx3-ubyte.gz and the matching labels file. Throws InputError naming the
// file when it is missing (with the apt package that provides it), not gzip/IDX (magic 0x803 / 0x801),
// truncated, or when the two files disagree on the count or a label is above 9.
ImageSet load_image_set(const std::string& dir, Split split);

// The model input of image i: pixel / 255, then (x − mean) / std, as [1][1][rows][cols] floats.
std::vector<float> preprocess(const ImageSet& set, int64_t i, double mean, double std);

}  // namespace dlasim::sim
