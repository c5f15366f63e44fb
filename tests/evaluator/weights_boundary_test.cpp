// The evaluator boundary for shared weights (docs/guarantees.md): the hostile audit's cases
// against SharedWeights directly (every way a process holding the descriptor could shrink,
// grow or overwrite the region fails with EPERM, and seedline's own writes go on) and through
// a real evaluator pool (an evaluator that tampers gets the clean results, one whose setup hook
// dies on the attempt fails its worker with the Python error, and seedline takes no signal).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <string>
#include <vector>

#include "evaluator/pool.hpp"
#include "evaluator/shared_weights.hpp"
#include "evaluator_testing.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::evaluator {
namespace {

using seedline::testing::TempDir;
using testing::fault_command;
using testing::wait_until_gone;

// A descriptor of the region as an evaluator gets it: its own open file, read-write if it asks.
int reopen(const SharedWeights& region, int flags) {
  const std::string path = "/proc/self/fd/" + std::to_string(region.fd());
  return ::open(path.c_str(), flags);
}

std::vector<float> read_back(const SharedWeights& region, size_t count) {
  const int fd = reopen(region, O_RDONLY);
  EXPECT_GE(fd, 0) << std::strerror(errno);
  std::vector<float> out(count);
  EXPECT_EQ(::pread(fd, out.data(), count * sizeof(float), 0), static_cast<ssize_t>(count * sizeof(float)));
  ::close(fd);
  return out;
}

TEST(SharedWeights, NoOtherDescriptorCanResizeOrWriteTheRegionAndSeedlineStillWrites) {
  SharedWeights region(16 * sizeof(float));
  std::vector<float> first(16), second(16);
  for (int i = 0; i < 16; ++i) {
    first[static_cast<size_t>(i)] = static_cast<float>(i) * 0.5f;
    second[static_cast<size_t>(i)] = -static_cast<float>(i);
  }
  region.write(first);
  EXPECT_EQ(read_back(region, 16), first);

  const int fd = reopen(region, O_RDWR);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  struct Case {
    const char* name;
    int result;
  };
  const float junk[4] = {9, 9, 9, 9};
  std::vector<Case> cases = {
      {"ftruncate to 0", ::ftruncate(fd, 0)},
      {"ftruncate to grow", ::ftruncate(fd, 4096)},
      {"F_SEAL removal is impossible: F_ADD_SEALS", ::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)},
      {"open with O_TRUNC", [&] {
         const int t = reopen(region, O_WRONLY | O_TRUNC);
         if (t >= 0) ::close(t);
         return t;
       }()},
  };
  if (region.write_sealed()) {
    cases.push_back({"pwrite", static_cast<int>(::pwrite(fd, junk, sizeof junk, 0))});
    void* map = ::mmap(nullptr, 16 * sizeof(float), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    cases.push_back({"writable shared mmap", map == MAP_FAILED ? -1 : 0});
    if (map != MAP_FAILED) ::munmap(map, 16 * sizeof(float));
  }
  for (const auto& c : cases) EXPECT_EQ(c.result, -1) << c.name << " succeeded";
  ::close(fd);

  struct stat st {};
  ASSERT_EQ(::fstat(region.fd(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(16 * sizeof(float)));
  EXPECT_EQ(read_back(region, 16), first);  // nothing above changed a byte
  region.write(second);
  EXPECT_EQ(read_back(region, 16), second);
}

TEST(SharedWeights, TheKernelHereTakesTheWriteSeal) {
  // Linux >= 5.1 has F_SEAL_FUTURE_WRITE; Debian 12's 6.1 and the CI machines do. Should a
  // kernel lack it, the size seals above still hold, and this test says which one is missing.
  SharedWeights region(4);
  EXPECT_TRUE(region.write_sealed()) << "F_SEAL_FUTURE_WRITE refused: evaluators could overwrite their own input";
}

PoolOptions options_for(std::vector<std::string> command) {
  PoolOptions o;
  o.command = std::move(command);
  o.workers = 1;
  o.timeout = 20;
  o.startup_timeout = 20;
  o.retries = 1;
  o.weights_bytes = 8 * sizeof(float);
  const nlohmann::json network = nlohmann::json::array({{{"type", "dense"}, {"in", 3}, {"out", 2}}});
  o.hello = make_hello({{"layers.0.weight", {2, 3}}, {"layers.0.bias", {2}}}, network, {{"type", "external"}});
  return o;
}

std::vector<ItemResult> evaluate_three(EvaluatorPool& pool, const std::vector<std::vector<float>>& weights) {
  std::vector<Item> items;
  for (int m = 0; m < 3; ++m) items.push_back({m, 0, 1000003ull * static_cast<uint64_t>(m) + 5});
  return pool.evaluate(
      items, [&](int m) { return std::span<const float>(weights[static_cast<size_t>(m)]); },
      [](size_t i) { return "member " + std::to_string(i); }, [] {});
}

TEST(EvaluatorBoundary, AnEvaluatorThatTriesToTruncateGrowOrOverwriteItsWeightsGetsTheCleanResults) {
  const std::vector<std::vector<float>> weights = {
      {1, 2, 3, 4, 5, 6, 0.5f, -0.5f}, {0, 0, 0, 0, 0, 0, 0, 0}, {-1, 0.25f, 3, 0, 1e-3f, 7, 2, 1}};
  TempDir dir;
  std::vector<ItemResult> clean, tampered;
  {
    EvaluatorPool pool(options_for(fault_command("ok", dir.path().string())));
    clean = evaluate_three(pool, weights);
  }
  {
    EvaluatorPool pool(options_for(fault_command("tamper", dir.path().string())));
    tampered = evaluate_three(pool, weights);
    tampered = evaluate_three(pool, weights);  // a second batch: seedline's writes still land
    EXPECT_EQ(pool.restarts(), 0);
  }
  ASSERT_EQ(tampered.size(), clean.size());
  for (size_t i = 0; i < clean.size(); ++i) {
    EXPECT_EQ(tampered[i].reward, clean[i].reward) << "item " << i;
    double tries_that_worked = -1;
    for (const auto& [name, value] : tampered[i].metrics) {
      if (name == "tampered") tries_that_worked = value;
    }
    EXPECT_EQ(tries_that_worked, 0) << "item " << i << ": an evaluator changed the shared weights";
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 5), std::vector<int>{});
}

TEST(EvaluatorBoundary, ASetupHookThatOpensTheWeightsForWritingFailsItsWorkerWithThePythonError) {
  // The audit's case: open("/proc/self/fd/4", "wb") in a setup hook of the official client
  // used to truncate the region and kill seedline with SIGBUS on its next copy.
  TempDir dir;
  {
    EvaluatorPool pool(options_for(fault_command("tamper_setup", dir.path().string())));
    const std::vector<std::vector<float>> weights(3, std::vector<float>(8, 1.0f));
    std::string message;
    try {
      evaluate_three(pool, weights);
      ADD_FAILURE() << "a worker whose setup raised evaluated items";
    } catch (const Error& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("PermissionError"), std::string::npos) << message;
    EXPECT_NE(message.find("worker 0"), std::string::npos) << message;
  }
  EXPECT_EQ(wait_until_gone(dir.path().string(), 5), std::vector<int>{});
}

}  // namespace
}  // namespace seedline::evaluator
