#include "sim/config/operand_format.hpp"

namespace dlasim::sim {

quant::QuantSpec operand_spec(const OperandQuantConfig& q, int vector_size) {
  if (q.format != "auto") {
    quant::QuantSpec s = quant::parse_format(q.format);
    // Without per-vector scales V is only the code padding of the QTensor: it must be the lanes' V.
    if (s.granularity != quant::Granularity::per_vector) s.vector_size = vector_size;
    return s;
  }
  const quant::Granularity g = q.granularity == "per_vector"    ? quant::Granularity::per_vector
                               : q.granularity == "per_channel" ? quant::Granularity::per_channel
                                                                : quant::Granularity::per_tensor;
  return quant::int_spec(q.bits, g, q.scale_bits, vector_size);
}

}  // namespace dlasim::sim
