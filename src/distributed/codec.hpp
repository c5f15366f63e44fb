// The byte codec under the wire format (wire.hpp): a Writer that appends fields and a Reader
// that reads them back with every read bounds-checked. Unsigned integers are LEB128 varints,
// signed ones zigzag varints, 64-bit values fixed little-endian, strings and float arrays
// length-prefixed. Internal to src/distributed/.
//
// Thread-safety: plain values, one thread each. Failure: every Reader method throws
// seedline::Error kCorruption naming the message kind, the byte offset and what was wrong
// (truncated, a value out of range, bytes left over); nothing is read out of bounds, and a
// count the remaining bytes cannot hold is refused before anything is allocated.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "distributed/wire.hpp"
#include "util/error.hpp"

namespace seedline::distributed {

static_assert(std::endian::native == std::endian::little, "the wire copies little-endian bytes");

// Appends fields to a payload.
class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(v));
  }
  void zigzag(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void fixed64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void f64(double v) { fixed64(std::bit_cast<uint64_t>(v)); }
  void string(std::string_view s) {
    varint(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void floats(std::span<const float> values) {
    varint(values.size());
    const auto* p = reinterpret_cast<const uint8_t*>(values.data());
    out_.insert(out_.end(), p, p + values.size_bytes());
  }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Reads fields back; every read is bounds-checked and names the kind and offset on failure.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, MessageKind kind) : bytes_(bytes), kind_(kind) {}

  [[noreturn]] void bad(const std::string& what) const {
    corruption("MPI message '" + std::string(kind_name(kind_)) + "' (" + std::to_string(bytes_.size()) +
               " bytes): " + what + " at byte " + std::to_string(at_));
  }
  uint8_t u8() {
    need(1);
    return bytes_[at_++];
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t b = u8();
      if (shift == 63 && b > 1) bad("varint longer than 64 bits");
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    bad("varint longer than 10 bytes");
  }
  // A varint that must fit in [0, max].
  uint64_t bounded(uint64_t max, const char* field) {
    const uint64_t v = varint();
    if (v > max) bad(std::string(field) + " " + std::to_string(v) + " exceeds " + std::to_string(max));
    return v;
  }
  int64_t zigzag() {
    const uint64_t v = varint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  uint64_t fixed64() {
    need(8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(bytes_[at_++]) << (8 * i);
    return v;
  }
  double f64() { return std::bit_cast<double>(fixed64()); }
  std::string string() {
    const auto n = varint();
    need(n);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + at_), static_cast<size_t>(n));
    at_ += static_cast<size_t>(n);
    return s;
  }
  std::vector<float> floats() {
    const auto n = varint();
    if (n > (bytes_.size() - at_) / sizeof(float)) bad(std::to_string(n) + " floats announced, fewer bytes left");
    std::vector<float> v(static_cast<size_t>(n));
    std::memcpy(v.data(), bytes_.data() + at_, v.size() * sizeof(float));
    at_ += v.size() * sizeof(float);
    return v;
  }
  // A count of elements each at least `min_bytes` long: refuses counts the payload cannot
  // hold, so a corrupt count cannot make the decoder allocate gigabytes.
  size_t count(size_t min_bytes, const char* field) {
    const auto n = varint();
    if (n > (bytes_.size() - at_) / min_bytes) bad(std::string(field) + " count " + std::to_string(n) + " exceeds the payload");
    return static_cast<size_t>(n);
  }
  void finish() const {
    if (at_ != bytes_.size()) bad(std::to_string(bytes_.size() - at_) + " bytes left over");
  }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - at_) bad("truncated (" + std::to_string(n) + " more bytes needed)");
  }
  std::span<const uint8_t> bytes_;
  MessageKind kind_;
  size_t at_ = 0;
};

}  // namespace seedline::distributed
