#include "genome/pretrained.hpp"

#include <xxhash.h>

#include <filesystem>

#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::genome {
namespace {

std::string recorded(const evolve::InitSpec& init) {
  return (init.bytes ? std::to_string(*init.bytes) : std::string("?")) + " bytes, xxh64 " + init.xxh64.value_or("?");
}

}  // namespace

SafetensorsFile load_init_file(const evolve::InitSpec& init) {
  const std::string where = "init.from: '" + init.from + "'";
  std::string bytes;
  try {
    bytes = SafetensorsFile::read_bytes(init.from);
  } catch (const Error& e) {
    const std::string submitted =
        init.bytes ? " (the experiment was submitted with " + recorded(init) + ")" : std::string();
    if (e.code() == ErrorCode::kNotFound) not_found(where + ": no such file" + submitted);
    fail(e.code(), "init.from: " + std::string(e.what()) + submitted);
  }
  // Size and hash before the contents: a changed file says so first, whatever it now holds.
  const int64_t size = static_cast<int64_t>(bytes.size());
  const std::string hash = hex16(XXH64(bytes.data(), bytes.size(), 0));
  if ((init.bytes && *init.bytes != size) || (init.xxh64 && *init.xxh64 != hash)) {
    failed_precondition(where + " changed since the experiment was submitted (now " + std::to_string(size) +
                        " bytes, xxh64 " + hash + "; submitted " + recorded(init) +
                        "); a run never continues from different base weights");
  }
  try {
    return SafetensorsFile::parse(std::move(bytes), init.from);
  } catch (const Error& e) {
    fail(e.code(), "init.from: " + std::string(e.what()));
  }
}

void record_init_file(evolve::InitSpec& init) {
  init.from = std::filesystem::absolute(init.from).lexically_normal().string();
  const SafetensorsFile file = load_init_file(init);
  init.bytes = static_cast<int64_t>(file.bytes().size());
  init.xxh64 = hex16(XXH64(file.bytes().data(), file.bytes().size(), 0));
}

}  // namespace seedline::genome
