#pragma once

#include <cstdint>
#include <string>
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

struct Sample {
  // Appended to the family name: "", "_bucket", "_sum", "_count", "_total"...
  std::string suffix;
  // Parallel to Family::label_names.
  std::vector<std::string> label_values;
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
