#include "client_stats/prometheus_collectable.h"

#include <map>
#include <string>

namespace kse::client_stats {

namespace {

prometheus::MetricType to_type(metrics::MetricType type) {
  switch (type) {
    case metrics::MetricType::kCounter: return prometheus::MetricType::Counter;
    case metrics::MetricType::kGauge: return prometheus::MetricType::Gauge;
    case metrics::MetricType::kSummary: return prometheus::MetricType::Summary;
    case metrics::MetricType::kHistogram: return prometheus::MetricType::Histogram;
    case metrics::MetricType::kUntyped: return prometheus::MetricType::Untyped;
  }
  return prometheus::MetricType::Untyped;
}

std::vector<prometheus::ClientMetric::Label> labels_of(const metrics::Family& family,
                                                       const metrics::Sample& sample) {
  std::vector<prometheus::ClientMetric::Label> labels;
  for (size_t i = 0; i < family.label_names.size() && i < sample.label_values.size(); ++i) {
    labels.push_back({family.label_names[i], std::string(sample.label_values[i])});
  }
  for (const auto& extra : sample.extra_labels) {
    if (extra.name != "quantile" && extra.name != "le") labels.push_back({extra.name, extra.value});
  }
  return labels;
}

}  // namespace

std::vector<prometheus::MetricFamily> to_prometheus(const std::vector<metrics::Family>& families) {
  std::vector<prometheus::MetricFamily> out;
  for (const auto& family : families) {
    prometheus::MetricFamily converted;
    converted.name = family.name;
    converted.help = family.help;
    converted.type = to_type(family.type);
    // Summary samples of one label set (quantiles, _sum, _count) make one metric.
    std::map<std::vector<std::string>, size_t> metric_of;
    for (const auto& sample : family.samples) {
      auto labels = labels_of(family, sample);
      std::vector<std::string> key;
      for (const auto& label : labels) key.push_back(label.value);
      auto [it, inserted] = metric_of.emplace(key, converted.metric.size());
      if (inserted) {
        converted.metric.emplace_back();
        converted.metric.back().label = std::move(labels);
      }
      auto& metric = converted.metric[it->second];
      switch (family.type) {
        case metrics::MetricType::kCounter: metric.counter.value = sample.value; break;
        case metrics::MetricType::kGauge: metric.gauge.value = sample.value; break;
        case metrics::MetricType::kUntyped: metric.untyped.value = sample.value; break;
        case metrics::MetricType::kSummary:
          if (sample.suffix == "_sum") {
            metric.summary.sample_sum = sample.value;
          } else if (sample.suffix == "_count") {
            metric.summary.sample_count = static_cast<uint64_t>(sample.value);
          } else {
            for (const auto& extra : sample.extra_labels) {
              if (extra.name == "quantile")
                metric.summary.quantile.push_back({std::stod(extra.value), sample.value});
            }
          }
          break;
        case metrics::MetricType::kHistogram:
          if (sample.suffix == "_sum") {
            metric.histogram.sample_sum = sample.value;
          } else if (sample.suffix == "_count") {
            metric.histogram.sample_count = static_cast<uint64_t>(sample.value);
          } else {
            for (const auto& extra : sample.extra_labels) {
              if (extra.name == "le" && extra.value != "+Inf") {
                metric.histogram.bucket.push_back(
                    {static_cast<uint64_t>(sample.value), std::stod(extra.value)});
              }
            }
          }
          break;
      }
    }
    out.push_back(std::move(converted));
  }
  return out;
}

std::vector<prometheus::MetricFamily> PrometheusCollectable::Collect() const {
  return to_prometheus(*stats_->families());
}

}  // namespace kse::client_stats
