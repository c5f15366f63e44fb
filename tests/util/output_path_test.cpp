// check_output_path: what --out may name. QA ran `seedline genome ID --out /dev/full` as root
// and the rename of the temporary file replaced the device node with a regular file.
#include "util/output_path.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline {
namespace {

using testing::TempDir;
using testing::write_file;

TEST(OutputPath, RefusesTargetsThatAreNotRegularFiles) {
  TempDir dir;
  write_file(dir / "existing.csv", "old");
  std::filesystem::create_directory(dir / "a-dir");
  ASSERT_EQ(::mkfifo((dir / "a-fifo").c_str(), 0600), 0);
  std::filesystem::create_symlink(dir / "existing.csv", dir / "link-to-file");
  std::filesystem::create_symlink(dir / "a-fifo", dir / "link-to-fifo");
  struct Case {
    std::filesystem::path path;
    const char* refusal;  // nullptr: accepted
  };
  const std::vector<Case> cases = {
      {dir / "new.csv", nullptr},
      {dir / "existing.csv", nullptr},
      {dir / "link-to-file", nullptr},
      {dir / "no-such-dir" / "x.csv", nullptr},  // the write itself reports the missing directory
      {"", "output path is empty"},
      {dir / "a-dir", "is a directory"},
      {dir / "a-fifo", "is a FIFO"},
      {dir / "link-to-fifo", "is a FIFO"},
      {"/dev/null", "is a character device"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path.string());
    if (c.refusal == nullptr) {
      EXPECT_NO_THROW(check_output_path(c.path));
      continue;
    }
    try {
      check_output_path(c.path);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(c.refusal), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.path.string()), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace seedline
