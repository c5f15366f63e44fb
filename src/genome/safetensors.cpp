#include "genome/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <functional>
#include <limits>

#include "util/error.hpp"
#include "util/input_file.hpp"
#include "util/json_fields.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

static_assert(std::endian::native == std::endian::little, "F32 data is copied as little-endian bytes");

// Bytes per element of the dtypes the safetensors format defines; 0 for an unknown name.
uint64_t dtype_size(const std::string& dtype) {
  static const std::map<std::string, uint64_t, std::less<>> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"U16", 2}, {"I16", 2}, {"F16", 2},
      {"BF16", 2}, {"U32", 4}, {"I32", 4}, {"F32", 4},     {"U64", 8},     {"I64", 8}, {"F64", 8}};
  const auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

// A tensor name for messages: quoted, cut at 80 characters (a hostile header may hold anything).
std::string name_text(std::string_view name) {
  std::string out(1, '\'');
  out.append(name.substr(0, 80)).append(name.size() > 80 ? "...'" : "'");
  return out;
}

[[noreturn]] void malformed(const std::string& origin, const std::string& what) {
  invalid_argument(origin + ": not a valid safetensors file: " + what);
}

SafetensorsEntry read_entry(const std::string& origin, const std::string& name, const json& j, uint64_t data_size) {
  const std::string where = "tensor " + name_text(name);
  if (!j.is_object()) malformed(origin, where + " must be an object (got " + describe(j) + ")");
  SafetensorsEntry e;
  e.name = name;
  for (const auto& [key, value] : j.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      malformed(origin, where + " has an unknown field " + name_text(key));
    }
  }
  if (!j.contains("dtype") || !j["dtype"].is_string()) malformed(origin, where + ": dtype must be a string");
  e.dtype = j["dtype"].get<std::string>();
  const uint64_t element_bytes = dtype_size(e.dtype);
  if (element_bytes == 0) malformed(origin, where + ": unknown dtype " + describe(j["dtype"]));
  if (!j.contains("shape") || !j["shape"].is_array()) malformed(origin, where + ": shape must be a list of integers");
  // The byte size, checked for overflow at every step: no shape can make it wrap.
  uint64_t bytes = element_bytes;
  for (const auto& d : j["shape"]) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      malformed(origin, where + ": shape " + describe(j["shape"]) + " must hold integers >= 0");
    }
    const uint64_t dim = d.get<uint64_t>();
    if (dim != 0 && bytes > std::numeric_limits<uint64_t>::max() / dim) {
      malformed(origin, where + ": shape " + describe(j["shape"]) + " is too large");
    }
    bytes *= dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }
  const auto offsets = j.contains("data_offsets") ? j["data_offsets"] : json();
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    malformed(origin, where + ": data_offsets must be [begin, end], two integers >= 0");
  }
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  const std::string span = "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.begin > e.end) malformed(origin, where + ": " + span + " ends before it begins");
  if (e.end > data_size) {
    malformed(origin, where + ": " + span + " reach past the data section of " + std::to_string(data_size) + " bytes");
  }
  if (e.end - e.begin != bytes) {
    malformed(origin, where + ": " + span + " hold " + std::to_string(e.end - e.begin) + " bytes, but dtype " +
                          e.dtype + " and shape " + describe(j["shape"]) + " need " + std::to_string(bytes));
  }
  return e;
}

}  // namespace

int64_t SafetensorsEntry::elements() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;  // fits: the byte size was checked when the file was parsed
  return n;
}

SafetensorsFile SafetensorsFile::parse(std::string bytes, std::string origin) {
  SafetensorsFile f;
  f.origin_ = std::move(origin);
  f.bytes_ = std::move(bytes);
  const std::string& o = f.origin_;
  const uint64_t size = f.bytes_.size();
  if (size < 8) {
    malformed(o, "the file has " + std::to_string(size) + " bytes; it must start with an 8-byte header length");
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(f.bytes_[static_cast<size_t>(i)]);
  if (n > kMaxHeaderBytes) {
    malformed(o, "header length " + std::to_string(n) + " is absurd (at most " + std::to_string(kMaxHeaderBytes) +
                     " bytes)");
  }
  if (n > size - 8) {
    malformed(o, "header length " + std::to_string(n) + " reaches past the end of the file (" + std::to_string(size) +
                     " bytes): truncated?");
  }
  f.data_start_ = 8 + n;
  const uint64_t data_size = size - f.data_start_;
  json header;
  try {
    JsonInputCheck<json> check;
    header = json::parse(std::string_view(f.bytes_).substr(8, n), std::ref(check));
  } catch (const json::exception& e) {
    malformed(o, std::string("the header is not valid JSON: ") + e.what());
  } catch (const Error& e) {
    malformed(o, std::string("the header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) malformed(o, "the header must be a JSON object (got " + describe(header) + ")");
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) malformed(o, "__metadata__ must be an object of strings");
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) malformed(o, "__metadata__ " + name_text(key) + " must be a string (got " + describe(text) + ")");
        f.metadata_[key] = text.get<std::string>();
      }
      continue;
    }
    if (name.empty()) malformed(o, "a tensor has an empty name");
    f.tensors_.push_back(read_entry(o, name, value, data_size));
  }
  // Tensors are laid out back to back from offset 0 to the end of the file: an overlap, a
  // gap or trailing bytes mean the header and the data disagree.
  std::sort(f.tensors_.begin(), f.tensors_.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const auto& e : f.tensors_) {
    if (e.begin < at) {
      malformed(o, "tensor " + name_text(e.name) + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                       "] overlap the previous tensor's data (which ends at " + std::to_string(at) + ")");
    }
    if (e.begin > at) {
      malformed(o, "tensor " + name_text(e.name) + ": data_offsets begin at " + std::to_string(e.begin) +
                       ", leaving a gap after byte " + std::to_string(at));
    }
    at = e.end;
  }
  if (at != data_size) {
    malformed(o, "the tensors cover " + std::to_string(at) + " bytes of data, but the file holds " +
                     std::to_string(data_size) + " after the header");
  }
  return f;
}

SafetensorsFile SafetensorsFile::read(const std::filesystem::path& path) { return parse(read_bytes(path), path.string()); }

std::string SafetensorsFile::read_bytes(const std::filesystem::path& path) {
  // A regular file only (a FIFO would block, /dev/zero never end); sized by fstat, read in
  // one call: a base model may be gigabytes.
  try {
    return InputFile::open(path, "safetensors file").read_all();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) not_found(path.string() + ": no such file");
    throw;
  }
}

const SafetensorsEntry* SafetensorsFile::find(std::string_view name) const {
  for (const auto& e : tensors_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

void SafetensorsFile::f32_into(const SafetensorsEntry& e, std::span<float> out) const {
  if (e.dtype != "F32") {
    invalid_argument(origin_ + ": tensor " + name_text(e.name) + " has dtype " + e.dtype +
                     "; only F32 is supported (convert it to float32 first)");
  }
  if (out.size() != static_cast<size_t>(e.elements())) {
    fail(ErrorCode::kInternal, origin_ + ": tensor " + name_text(e.name) + ": buffer of " + std::to_string(out.size()) +
                                   " values for " + std::to_string(e.elements()));
  }
  std::memcpy(out.data(), bytes_.data() + data_start_ + e.begin, e.end - e.begin);
}

std::vector<float> SafetensorsFile::f32(const SafetensorsEntry& e) const {
  std::vector<float> v(static_cast<size_t>(e.elements()));
  f32_into(e, v);
  return v;
}

std::string encode_safetensors(const std::vector<NamedTensor>& tensors, const json& metadata) {
  json header = json::object();
  size_t offset = 0;
  for (const auto& t : tensors) {
    const size_t bytes = t.values.size() * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += text;
  // Little-endian float32 in memory (static_assert above): the bytes are the values.
  for (const auto& t : tensors) out.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float));
  return out;
}

}  // namespace seedline::genome
