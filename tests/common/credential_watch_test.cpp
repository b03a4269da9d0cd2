#include "common/credential_watch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace kse::common {
namespace {

namespace fs = std::filesystem;

class CredentialWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kse-credential-watch-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::trunc) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

TEST_F(CredentialWatchTest, UnchangedFilesAreNoChange) {
  CredentialWatch watch({write("cert.pem", "one").string(), write("key.pem", "two").string()});
  EXPECT_FALSE(watch.changed());
  EXPECT_FALSE(watch.changed());
}

TEST_F(CredentialWatchTest, ARewrittenFileIsOneChange) {
  const auto cert = write("cert.pem", "one");
  CredentialWatch watch({cert.string()});
  write("cert.pem", "a longer certificate");
  EXPECT_TRUE(watch.changed());
  EXPECT_FALSE(watch.changed()) << "a change is reported once";
}

// As kubelet updates a secret volume: new files, then a link moved onto them.
TEST_F(CredentialWatchTest, ALinkMovedToANewFileIsAChange) {
  write("v1", "one");
  write("v2", "two");
  fs::create_symlink(dir_ / "v1", dir_ / "current");
  CredentialWatch watch({(dir_ / "current").string()});
  fs::create_symlink(dir_ / "v2", dir_ / "next");
  fs::rename(dir_ / "next", dir_ / "current");
  EXPECT_TRUE(watch.changed());
}

TEST_F(CredentialWatchTest, ARemovedAndRestoredFileIsTwoChanges) {
  const auto secret = write("secret", "s3cret");
  CredentialWatch watch({secret.string()});
  fs::remove(secret);
  EXPECT_TRUE(watch.changed());
  write("secret", "s3cret-2");
  EXPECT_TRUE(watch.changed());
}

TEST_F(CredentialWatchTest, NoFilesNeverChange) {
  CredentialWatch watch({});
  EXPECT_FALSE(watch.changed());
}

}  // namespace
}  // namespace kse::common
