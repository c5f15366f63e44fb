#include "support/npy.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace seedline::testing {
namespace {

void write(const std::filesystem::path& path, const char* descr, const void* data, size_t bytes,
           const std::vector<int64_t>& shape) {
  std::string dims;
  for (const int64_t d : shape) dims += std::to_string(d) + ", ";
  if (shape.size() > 1) dims.resize(dims.size() - 1);
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out << header;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

void write_npy(const std::filesystem::path& path, std::span<const float> values, std::vector<int64_t> shape) {
  write(path, "<f4", values.data(), values.size_bytes(), shape);
}

void write_npy(const std::filesystem::path& path, std::span<const double> values, std::vector<int64_t> shape) {
  write(path, "<f8", values.data(), values.size_bytes(), shape);
}

std::vector<float> read_npy_f32(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw std::runtime_error(path.string() + ": not .npy");
  const size_t len = static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
  const std::string header = bytes.substr(10, len);
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos) {
    throw std::runtime_error(path.string() + ": expected a C-order float32 array, header " + header);
  }
  const size_t start = 10 + len;
  std::vector<float> values((bytes.size() - start) / sizeof(float));
  std::copy_n(bytes.data() + start, values.size() * sizeof(float), reinterpret_cast<char*>(values.data()));
  return values;
}

}  // namespace seedline::testing
