#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

// Remembers every (courier id, index) seen, like the seed's consumer does with
// its PostgreSQL table, and counts the ones seen again. Thread-safe.
namespace kse::workload {

class DuplicateDetector {
 public:
  // True when this (courier, index) was seen before.
  bool seen_before(const std::string& courier_id, int64_t index);
  uint64_t duplicates() const;
  uint64_t distinct() const;

 private:
  // Indexes are dense from 0, so a bit per index is enough; larger ones go to a set.
  static constexpr int64_t kDenseIndexLimit = 1 << 20;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<bool>> dense_;
  std::set<std::pair<std::string, int64_t>> sparse_;
  uint64_t duplicates_ = 0;
  uint64_t distinct_ = 0;
};

}  // namespace kse::workload
