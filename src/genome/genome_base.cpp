// The Genome's pretrained starting point: which tensors of a base file (init.from) it takes
// and where they go (docs/genome.md, "Pretrained starting points"). Kept apart from
// genome.cpp, whose init/mutate/develop arithmetic it does not touch.
#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "genome/genome.hpp"
#include "genome/safetensors.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

// One tensor the genome takes from the file.
struct Wanted {
  std::string name;
  std::vector<int64_t> shape;
  float* dest = nullptr;        // where its values go; null for a fixed tensor (only checked)
  std::optional<float> fixed;   // layer norm: may be absent; if present, must hold this value everywhere
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool ends_with(const std::string& s, const char* suffix) {
  const std::string_view x(suffix);
  return s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

// Why a tensor may be missing: the file holds the other form of the same weight.
std::string missing_hint(const SafetensorsFile& file, const std::string& name) {
  if (ends_with(name, ".A") || ends_with(name, ".B")) {
    const std::string merged = name.substr(0, name.size() - 2);
    if (file.find(merged) != nullptr) {
      return " (the file holds the merged weight '" + merged +
             "': a factorized weight starts from its factors, as a genotype export of a factorized run holds "
             "them; to fine-tune merged weights use the lora representation)";
    }
  } else if (file.find(name + ".A") != nullptr) {
    return " (the file holds factors '" + name + ".A' and '" + name +
           ".B': export the phenotype, `seedline genome ID --phenotype`, to get the merged weight)";
  }
  return "";
}

// A NaN or infinity in the base spreads to every output, so every fitness would be NaN or
// -inf and a run would "finish" having learnt nothing: refused, naming the tensor.
void require_finite(const std::string& where, const std::string& name, std::span<const float> values) {
  size_t bad = 0;
  size_t first = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]) && bad++ == 0) first = i;
  }
  if (bad == 0) return;
  const float v = values[first];
  const std::string value = std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  invalid_argument(where + "tensor '" + name + "' holds " + std::to_string(bad) + " non-finite value" +
                   (bad == 1 ? "" : "s") + " of " + std::to_string(values.size()) + " (the first, " + value +
                   ", at index " + std::to_string(first) + "); base weights must be finite numbers");
}

void take(const SafetensorsFile& file, const std::vector<Wanted>& wanted) {
  const std::string where = "init.from: '" + file.origin() + "': ";
  std::set<std::string> names;
  for (const auto& w : wanted) {
    names.insert(w.name);
    const SafetensorsEntry* e = file.find(w.name);
    if (e == nullptr) {
      if (w.fixed) continue;
      invalid_argument(where + "tensor '" + w.name + "' " + shape_text(w.shape) + " is missing" +
                       missing_hint(file, w.name));
    }
    if (e->dtype != "F32") {
      invalid_argument(where + "tensor '" + w.name + "' has dtype " + e->dtype +
                       "; base weights must be F32 (float32)");
    }
    if (e->shape != w.shape) {
      invalid_argument(where + "tensor '" + w.name + "' has shape " + shape_text(e->shape) + "; the network's is " +
                       shape_text(w.shape));
    }
    if (w.dest != nullptr) {
      const std::span<float> values(w.dest, static_cast<size_t>(e->elements()));
      file.f32_into(*e, values);
      require_finite(where, w.name, values);
      continue;
    }
    const std::vector<float> values = file.f32(*e);
    for (size_t i = 0; i < values.size(); ++i) {
      // Bits, not ==: a -0 or a NaN would not be the fixed value the network runs with.
      if (std::bit_cast<uint32_t>(values[i]) != std::bit_cast<uint32_t>(*w.fixed)) {
        invalid_argument(where + "tensor '" + w.name + "' is fixed at " + std::to_string(*w.fixed) +
                         " (a layer norm, never evolved), but the file holds " + std::to_string(values[i]) +
                         " at index " + std::to_string(i));
      }
    }
  }
  for (const auto& e : file.tensors()) {
    if (names.count(e.name) > 0) continue;
    std::string expected;
    size_t listed = 0;
    for (const auto& w : wanted) {
      if (listed++ == 6) {
        expected += ", ...";
        break;
      }
      expected += (expected.empty() ? "" : ", ") + w.name;
    }
    invalid_argument(where + "tensor '" + e.name + "' is not part of this genome (it takes " + expected + ")");
  }
}

}  // namespace

void Genome::take_base(const SafetensorsFile& file) {
  auto root = std::make_shared<std::vector<float>>(genotype_size_, 0.0f);
  std::shared_ptr<std::vector<float>> frozen;
  std::vector<Wanted> wanted;
  size_t at = 0;  // the tensor's offset in the phenotype
  for (size_t ti = 0; ti < architecture_.tensors.size(); ++ti) {
    const TensorSpec& t = architecture_.tensors[ti];
    const TensorLayout& l = layout_[ti];
    if (l.frozen || l.lora) {
      if (!frozen) frozen = std::make_shared<std::vector<float>>(phenotype_size(), 0.0f);
      wanted.push_back({t.name, t.shape, frozen->data() + at, std::nullopt});
    } else if (l.first_block < 0) {
      wanted.push_back({t.name, t.shape, nullptr, t.kind == TensorKind::kNormScale ? 1.0f : 0.0f});
    }
    // The tensor's blocks are consecutive: one, or A and B.
    for (int bi = l.first_block; bi >= 0 && bi < l.first_block + (l.factorized ? 2 : 1); ++bi) {
      const Block& b = blocks_[static_cast<size_t>(bi)];
      if (b.from_base) wanted.push_back({b.name, b.shape, root->data() + b.offset, std::nullopt});
    }
    at += static_cast<size_t>(t.size());
  }
  take(file, wanted);
  root_ = std::move(root);
  frozen_ = std::move(frozen);
}

void Genome::require_base(const char* what) const {
  failed_precondition(std::string(what) +
                      ": this genome's base weights (init.from) were not loaded (it was built to be counted only)");
}

std::vector<float> Genome::root_copy() const {
  if (root_ != nullptr) return *root_;
  if (base_declared_) require_base("init");
  return std::vector<float>(genotype_size_, 0.0f);
}

bool Genome::lora_delta_is_zero(std::span<const float> genotype, const TensorLayout& l) const {
  const Block& b = blocks_[static_cast<size_t>(l.first_block) + 1];
  const auto values = genotype.subspan(b.offset, b.size);
  return std::all_of(values.begin(), values.end(), [](float v) { return v == 0.0f; });
}

}  // namespace seedline::genome
