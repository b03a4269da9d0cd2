#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The plain values every producer of series (model, client stats, JMX bridge)
// hands to the renderer. The renderer never sees Kafka.
namespace kse::metrics {

enum class MetricType { kGauge, kCounter, kHistogram, kSummary, kUntyped };

// Series owned by no broker are served on the cluster port.
inline constexpr int32_t kClusterOwner = -1;

struct Label {
  std::string name;
  std::string value;
};

// A sample's label values, packed in one block and shared by copies: the ten families of a
// partition carry the same {topic, partition} once, not ten times, and a sample costs no
// allocation of its own. Immutable once made.
class LabelValues {
 public:
  LabelValues() = default;
  LabelValues(std::initializer_list<std::string_view> values) { pack(values.begin(), values.size()); }
  LabelValues(const std::vector<std::string>& values) {  // NOLINT: implicit, as the list it replaces
    pack(values.begin(), values.size());
  }
  explicit LabelValues(const std::vector<std::string_view>& values) { pack(values.begin(), values.size()); }

  size_t size() const {
    uint32_t count = 0;
    if (packed_) std::memcpy(&count, packed_.get(), sizeof count);
    return count;
  }
  bool empty() const { return size() == 0; }
  // The `index`th value: a walk over the ones before it (a family has a handful of labels).
  std::string_view operator[](size_t index) const;
  std::string_view at(size_t index) const;
  std::vector<std::string> to_vector() const;
  // Calls `visit(value)` for each value in order, at most `limit` of them.
  template <typename Visit>
  void each(Visit&& visit, size_t limit = SIZE_MAX) const {
    const size_t count = std::min(size(), limit);
    const char* at = count ? packed_.get() + sizeof(uint32_t) : nullptr;
    for (size_t i = 0; i < count; ++i) {
      uint32_t length = 0;
      std::memcpy(&length, at, sizeof length);
      at += sizeof length;
      visit(std::string_view(at, length));
      at += length;
    }
  }

  friend bool operator==(const LabelValues& a, const LabelValues& b) {
    return a.to_vector() == b.to_vector();
  }
  friend bool operator==(const LabelValues& a, const std::vector<std::string>& b) {
    return a.to_vector() == b;
  }

 private:
  template <typename It>
  void pack(It first, size_t count) {
    if (count == 0) return;
    size_t bytes = sizeof(uint32_t);
    It it = first;
    for (size_t i = 0; i < count; ++i, ++it) bytes += sizeof(uint32_t) + std::string_view(*it).size();
    if (count > UINT32_MAX) throw std::length_error("too many label values");
    auto packed = std::make_shared_for_overwrite<char[]>(bytes);
    char* out = packed.get();
    const auto stored = static_cast<uint32_t>(count);
    std::memcpy(out, &stored, sizeof stored);
    out += sizeof stored;
    for (size_t i = 0; i < count; ++i, ++first) {
      const std::string_view value(*first);
      const auto length = static_cast<uint32_t>(value.size());
      std::memcpy(out, &length, sizeof length);
      out += sizeof length;
      std::memcpy(out, value.data(), value.size());
      out += value.size();
    }
    packed_ = std::move(packed);
  }

  // [count: 4 bytes] then, per value, [length: 4 bytes][bytes].
  std::shared_ptr<const char[]> packed_;
};

struct Sample {
  // Appended to the family name: "", "_bucket", "_sum", "_count", "_total"...
  std::string suffix;
  // Parallel to Family::label_names.
  LabelValues label_values;
  // Labels beyond the family's own (le, quantile, or per-sample label sets).
  std::vector<Label> extra_labels;
  double value = 0;
  int32_t owner = kClusterOwner;
};

struct Family {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::vector<Sample> samples;
};

inline const char* type_name(MetricType type) {
  switch (type) {
    case MetricType::kGauge: return "gauge";
    case MetricType::kCounter: return "counter";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kUntyped: return "untyped";
  }
  return "untyped";
}

}  // namespace kse::metrics
