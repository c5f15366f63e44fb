// Minimal .npy (version 1.0) files for tests that hand arrays to numpy references: float32 and
// float64 little-endian arrays of any shape in C order, and reading float32 arrays back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace seedline::testing {

void write_npy(const std::filesystem::path& path, std::span<const float> values, std::vector<int64_t> shape);
void write_npy(const std::filesystem::path& path, std::span<const double> values, std::vector<int64_t> shape);
// A float32 ('<f4') array's values (any shape, C order). Throws std::runtime_error on anything else.
std::vector<float> read_npy_f32(const std::filesystem::path& path);

}  // namespace seedline::testing
