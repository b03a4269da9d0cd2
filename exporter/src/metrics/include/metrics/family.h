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
    for (size_t i = 0; i < count; ++i, ++it) {
      const size_t length = std::string_view(*it).size();
      if (length > UINT32_MAX) throw std::length_error("a label value over 4 GiB");
      bytes += sizeof(uint32_t) + length;
    }
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

// A sample's name suffix: "", "_bucket", "_sum", "_count", "_total"... A handful of distinct
// strings, interned once for the process: a pointer per sample, none for the empty one.
class Suffix {
 public:
  Suffix() = default;
  Suffix(std::string_view text);  // NOLINT: implicit, as the string it replaces
  Suffix(const std::string& text) : Suffix(std::string_view(text)) {}  // NOLINT
  Suffix(const char* text) : Suffix(std::string_view(text)) {}         // NOLINT
  operator std::string_view() const { return text_ ? std::string_view(*text_) : std::string_view(); }
  bool empty() const { return text_ == nullptr; }
  friend bool operator==(const Suffix& a, std::string_view b) { return std::string_view(a) == b; }
  friend std::string operator+(std::string a, const Suffix& b) { return a.append(std::string_view(b)); }

 private:
  const std::string* text_ = nullptr;
};

// Labels beyond a family's own, on the few samples that have them (le, quantile, per-sample
// label sets): a pointer per sample, an allocation only where there are some. Copies are deep.
class ExtraLabels {
 public:
  ExtraLabels() = default;
  ExtraLabels(std::vector<Label> labels) { *this = std::move(labels); }  // NOLINT: implicit
  ExtraLabels(const ExtraLabels& other)
      : labels_(other.labels_ ? std::make_unique<std::vector<Label>>(*other.labels_) : nullptr) {}
  ExtraLabels(ExtraLabels&&) noexcept = default;
  ExtraLabels& operator=(const ExtraLabels& other) {
    if (this != &other)
      labels_ = other.labels_ ? std::make_unique<std::vector<Label>>(*other.labels_) : nullptr;
    return *this;
  }
  ExtraLabels& operator=(ExtraLabels&&) noexcept = default;
  ExtraLabels& operator=(std::vector<Label> labels) {
    labels_ = labels.empty() ? nullptr : std::make_unique<std::vector<Label>>(std::move(labels));
    return *this;
  }

  bool empty() const { return !labels_ || labels_->empty(); }
  size_t size() const { return labels_ ? labels_->size() : 0; }
  const Label* begin() const { return labels_ ? labels_->data() : nullptr; }
  const Label* end() const { return labels_ ? labels_->data() + labels_->size() : nullptr; }
  const Label& operator[](size_t index) const { return (*labels_)[index]; }
  const Label& at(size_t index) const {
    if (index >= size()) throw std::out_of_range("extra label " + std::to_string(index));
    return (*labels_)[index];
  }
  void push_back(Label label) {
    if (!labels_) labels_ = std::make_unique<std::vector<Label>>();
    labels_->push_back(std::move(label));
  }

 private:
  std::unique_ptr<std::vector<Label>> labels_;
};

// 48 bytes: a cycle at 10,000 partitions holds 175,000 of them at once.
struct Sample {
  // Appended to the family name.
  Suffix suffix;
  // Parallel to Family::label_names.
  LabelValues label_values;
  // Labels beyond the family's own.
  ExtraLabels extra_labels;
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
