// safetensors files: the writer seedline's genome export uses and a strict reader for the
// base weights an experiment starts from (`"init": {"from": ...}`, docs/genome.md).
//
// Layout (the format of the safetensors project): an unsigned 64-bit little-endian header
// length N, N bytes of UTF-8 JSON mapping each tensor name to {"dtype", "shape",
// "data_offsets": [begin, end]} (plus an optional "__metadata__" object of strings), then the
// data: every tensor's little-endian bytes, offsets relative to the data's start.
//
// The reader trusts nothing in the file: a header length beyond the file or above
// kMaxHeaderBytes, JSON that does not parse (or repeats a key, or nests absurdly), a field
// of the wrong type, an unknown dtype, a shape whose byte size overflows or disagrees with
// its offsets, offsets out of range, overlapping, leaving a gap or not covering the data,
// are all errors naming the file and the tensor; it never reads outside the buffer.
//
// Thread-safety: pure functions and immutable values; safe from any thread.
// Failure: seedline::Error kInvalidArgument for a malformed file ("FILE: tensor 'x':
// data_offsets [8, 4] ..."), kNotFound for a missing file, kIOError for a read error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seedline::genome {

// A header longer than this is refused before it is parsed (a real header of a million
// tensors stays below it; a hostile length cannot make the reader allocate gigabytes).
inline constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;

struct SafetensorsEntry {
  std::string name;
  std::string dtype;            // e.g. "F32", "F16", "BF16"
  std::vector<int64_t> shape;   // empty: a scalar
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
  int64_t elements() const;     // product of the shape (1 for a scalar)
};

// A parsed file: its bytes and the tensors in the order of their data offsets.
class SafetensorsFile {
 public:
  // Parses `bytes` (the whole file); `origin` names it in errors.
  static SafetensorsFile parse(std::string bytes, std::string origin);
  // Reads and parses the file at `path`.
  static SafetensorsFile read(const std::filesystem::path& path);
  // The bytes of the file at `path`, unparsed (kNotFound, kIOError, kInvalidArgument for a directory).
  static std::string read_bytes(const std::filesystem::path& path);

  const std::string& origin() const { return origin_; }
  const std::string& bytes() const { return bytes_; }
  const std::vector<SafetensorsEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The entry named `name`, or nullptr.
  const SafetensorsEntry* find(std::string_view name) const;
  // An F32 tensor's values, copied out (the data is not necessarily 4-byte aligned in memory).
  // Throws kInvalidArgument naming the tensor when its dtype is not F32.
  std::vector<float> f32(const SafetensorsEntry& entry) const;
  // The same into `out`, which must hold entry.elements() values.
  void f32_into(const SafetensorsEntry& entry, std::span<float> out) const;

 private:
  std::string origin_;
  std::string bytes_;
  uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> tensors_;
  std::map<std::string, std::string> metadata_;
};

// One tensor for encode_safetensors: float32 values with their name and shape.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::span<const float> values;
};

// Writes the tensors in the given order, F32, the header padded with spaces so the data starts
// at a multiple of 8; `metadata` (an object of strings) becomes "__metadata__".
std::string encode_safetensors(const std::vector<NamedTensor>& tensors, const nlohmann::json& metadata);

}  // namespace seedline::genome
