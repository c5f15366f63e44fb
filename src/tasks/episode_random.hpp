// The random numbers of one episode (its initial state), derived from the episode seed alone.
//
// Draw i of seed s is Philox4x32-10 (Random123) with key (low 32 bits of s, high 32 bits of
// s) and counter (i, 0x45504953 "EPIS", 0, 0); output words 0 and 1 form a 64-bit integer
// (word 1 high) whose top 53 bits give u in [0, 1), and uniform(low, high) returns
// low + (high - low) * u, numpy's formula. Any draw is computable independently, so an
// episode's start does not depend on threads or on the order episodes run in. It does not
// reproduce gymnasium's PCG64 stream; the dynamics after the initial state do match.
//
// Thread-safety: a value type; use one per episode. Cannot fail.
#pragma once

#include <cstdint>

namespace seedline::tasks {

class EpisodeRandom {
 public:
  explicit EpisodeRandom(uint64_t episode_seed) : seed_(episode_seed) {}

  // The next draw, uniform in [low, high).
  double uniform(double low, double high);
  // Draw `index` as u in [0, 1), independent of what was drawn before.
  static double unit(uint64_t episode_seed, uint32_t index);

 private:
  uint64_t seed_;
  uint32_t next_ = 0;
};

}  // namespace seedline::tasks
