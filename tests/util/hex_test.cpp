#include "util/hex.hpp"

#include <gtest/gtest.h>

namespace seedline {
namespace {

// Expected strings written by hand (the printf "%016llx" / "0x%016llx" forms).
TEST(Hex, SixteenZeroPaddedLowercaseDigits) {
  EXPECT_EQ(hex16(0), "0000000000000000");
  EXPECT_EQ(hex16(0xf90159d3b67728daULL), "f90159d3b67728da");
  EXPECT_EQ(hex16(0xABCULL), "0000000000000abc");
  EXPECT_EQ(hex16(~uint64_t{0}), "ffffffffffffffff");
  EXPECT_EQ(hex64(0x1ULL), "0x0000000000000001");
}

}  // namespace
}  // namespace seedline
