#include "tasks/episode_random.hpp"

#include <Random123/philox.h>

namespace seedline::tasks {

double EpisodeRandom::unit(uint64_t episode_seed, uint32_t index) {
  constexpr uint32_t kEpisodeDomain = 0x45504953u;  // "EPIS": keeps this stream apart from noise
  r123::Philox4x32 philox;
  const r123::Philox4x32::ctr_type counter = {{index, kEpisodeDomain, 0u, 0u}};
  const r123::Philox4x32::key_type key = {
      {static_cast<uint32_t>(episode_seed), static_cast<uint32_t>(episode_seed >> 32)}};
  const r123::Philox4x32::ctr_type out = philox(counter, key);
  const uint64_t bits = (static_cast<uint64_t>(out[1]) << 32) | out[0];
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

double EpisodeRandom::uniform(double low, double high) {
  return low + (high - low) * unit(seed_, next_++);
}

}  // namespace seedline::tasks
