#include "common/credential_watch.h"

#include <sys/stat.h>

namespace kse::common {

CredentialWatch::CredentialWatch(std::vector<std::string> files)
    : files_(std::move(files)), stamps_(stamp()) {}

bool CredentialWatch::changed() {
  auto now = stamp();
  if (now == stamps_) return false;
  stamps_ = std::move(now);
  return true;
}

// stat() follows symbolic links: a secret volume's `..data` link moved to new files is a change.
std::vector<CredentialWatch::Stamp> CredentialWatch::stamp() const {
  std::vector<Stamp> out;
  out.reserve(files_.size());
  for (const auto& file : files_) {
    struct stat status {};
    if (::stat(file.c_str(), &status) != 0) {
      out.emplace_back(0, 0, 0, 0, false);
      continue;
    }
    const int64_t modified =
        static_cast<int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
    out.emplace_back(status.st_dev, status.st_ino, status.st_size, modified, true);
  }
  return out;
}

}  // namespace kse::common
