#include "sim/config/operand_format.hpp"

namespace dlasim::sim {

quant::QuantSpec operand_spec(const OperandQuantConfig& q, int vector_size) {
  if (q.format != "auto") return quant::parse_format(q.format);
  const quant::Granularity g = q.granularity == "per_vector"    ? quant::Granularity::per_vector
                               : q.granularity == "per_channel" ? quant::Granularity::per_channel
                                                                : quant::Granularity::per_tensor;
  return quant::int_spec(q.bits, g, q.scale_bits, vector_size);
}

}  // namespace dlasim::sim
