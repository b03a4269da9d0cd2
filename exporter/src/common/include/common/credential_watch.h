#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

// The files the logins to Kafka read (certificates, keys, secret files): rotated material
// is noticed by a look at each file once per cycle, cheap enough that no inotify is needed.
namespace kse::common {

class CredentialWatch {
 public:
  explicit CredentialWatch(std::vector<std::string> files);

  // True once for each change of any file since the last call (or construction): written in
  // place, replaced by a rename (as Kubernetes updates a secret volume), created or removed.
  bool changed();

 private:
  // Device, inode, size, modification time in ns, and whether the file exists.
  using Stamp = std::tuple<dev_t, ino_t, off_t, int64_t, bool>;
  std::vector<Stamp> stamp() const;

  std::vector<std::string> files_;
  std::vector<Stamp> stamps_;
};

}  // namespace kse::common
