#include "metrics/family.h"

#include <mutex>
#include <stdexcept>
#include <unordered_set>

namespace kse::metrics {

Suffix::Suffix(std::string_view text) {
  if (text.empty()) return;
  // Interned for the life of the process: the producers use a few fixed suffixes.
  static std::mutex mutex;
  static std::unordered_set<std::string> interned;
  std::lock_guard lock(mutex);
  text_ = &*interned.emplace(text).first;
}

std::string_view LabelValues::operator[](size_t index) const {
  const char* at = packed_.get() + sizeof(uint32_t);
  for (size_t i = 0;; ++i) {
    uint32_t length = 0;
    std::memcpy(&length, at, sizeof length);
    at += sizeof length;
    if (i == index) return {at, length};
    at += length;
  }
}

std::string_view LabelValues::at(size_t index) const {
  if (index >= size())
    throw std::out_of_range("label value " + std::to_string(index) + " of " + std::to_string(size()));
  return (*this)[index];
}

std::vector<std::string> LabelValues::to_vector() const {
  std::vector<std::string> out;
  const size_t count = size();
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.emplace_back((*this)[i]);
  return out;
}

// The cycle holds one per series: keep it small (bench/cost measures what it holds).
static_assert(sizeof(Sample) <= 48, "a Sample grew");

}  // namespace kse::metrics
