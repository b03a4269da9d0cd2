#include "common/duplicate_detector.h"

namespace kse::workload {

bool DuplicateDetector::seen_before(const std::string& courier_id, int64_t index) {
  std::lock_guard lock(mutex_);
  bool seen = false;
  if (index >= 0 && index < kDenseIndexLimit) {
    auto& bits = dense_[courier_id];
    const auto position = static_cast<size_t>(index);
    if (bits.size() <= position) bits.resize(position + 1, false);
    seen = bits[position];
    bits[position] = true;
  } else {
    seen = !sparse_.emplace(courier_id, index).second;
  }
  if (seen) {
    ++duplicates_;
  } else {
    ++distinct_;
  }
  return seen;
}

uint64_t DuplicateDetector::duplicates() const {
  std::lock_guard lock(mutex_);
  return duplicates_;
}

uint64_t DuplicateDetector::distinct() const {
  std::lock_guard lock(mutex_);
  return distinct_;
}

}  // namespace kse::workload
