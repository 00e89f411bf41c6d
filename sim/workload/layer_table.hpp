// Layer tables (traces/*.csv): one layer per line.
//
//   name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu
//   conv1,conv,16,16,16,32,3,3,2,1,1
//   fc,fc,1,1,1024,100,1,1,1,0,0
//
// type is conv or fc (an fc layer must have in_h = in_w = kernel_h = kernel_w = stride = 1, pad = 0);
// relu is 0 or 1; pad is symmetric zero padding in pixels. Blank lines and lines starting with '#' are
// ignored; the first other line must be exactly the header above.
#pragma once

#include <string>
#include <vector>

#include "hw/layer.hpp"

namespace dlasim::sim {

struct LayerSpec {
  std::string name;
  std::string type;  // conv | fc
  hw::ConvShape shape;
  bool relu = false;
};

// Throws InputError naming the file, line and column on any malformed entry.
std::vector<LayerSpec> load_layer_table(const std::string& path);
std::vector<LayerSpec> parse_layer_table(const std::string& text, const std::string& source);

}  // namespace dlasim::sim
