#include "evolve/seeds.hpp"

#include <Random123/philox.h>

namespace seedline::evolve {

uint64_t derive(uint64_t seed, Stream stream, uint64_t a, uint32_t b) {
  r123::Philox4x32 rng;
  const r123::Philox4x32::key_type key = {{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}};
  const r123::Philox4x32::ctr_type ctr = {
      {static_cast<uint32_t>(a), static_cast<uint32_t>(a >> 32), b, static_cast<uint32_t>(stream)}};
  const auto out = rng(ctr, key);
  return uint64_t{out[0]} | (uint64_t{out[1]} << 32);
}

}  // namespace seedline::evolve
