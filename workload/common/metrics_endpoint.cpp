#include "common/metrics_endpoint.h"

#include <fmt/format.h>

#include "client_stats/prometheus_collectable.h"
#include "common/kafka_client.h"

namespace kse::workload {

namespace {

class MergedClientStats : public prometheus::Collectable {
 public:
  explicit MergedClientStats(std::vector<std::shared_ptr<client_stats::ClientStats>> stats)
      : stats_(std::move(stats)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<metrics::Family> merged;
    std::map<std::string, size_t> position_by_name;
    for (const auto& client : stats_) {
      const auto families = client->families();
      if (!families) continue;
      for (const auto& family : *families) {
        auto [entry, inserted] = position_by_name.emplace(family.name, merged.size());
        if (inserted) {
          merged.push_back(family);
        } else {
          auto& samples = merged[entry->second].samples;
          samples.insert(samples.end(), family.samples.begin(), family.samples.end());
        }
      }
    }
    return client_stats::to_prometheus(merged);
  }

 private:
  std::vector<std::shared_ptr<client_stats::ClientStats>> stats_;
};

}  // namespace

MetricsEndpoint::MetricsEndpoint(const std::string& address, int port) {
  if (port == 0) return;
  const std::string bind = fmt::format("{}:{}", address, port);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(bind);
  } catch (const std::exception& error) {
    throw WorkloadError(fmt::format("cannot serve /metrics on {}: {}", bind, error.what()));
  }
  exposer_->RegisterCollectable(registry_);
}

prometheus::Counter& MetricsEndpoint::counter(const std::string& name, const std::string& help,
                                              const std::map<std::string, std::string>& labels) {
  auto& family = counter_families_[name];
  if (family == nullptr) {
    family = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  }
  return family->Add(labels);
}

void MetricsEndpoint::serve_client_stats(
    const std::vector<std::shared_ptr<client_stats::ClientStats>>& stats) {
  if (!exposer_) return;
  if (stats.size() == 1) {
    collectables_.push_back(std::make_shared<client_stats::PrometheusCollectable>(stats.front()));
  } else {
    collectables_.push_back(std::make_shared<MergedClientStats>(stats));
  }
  exposer_->RegisterCollectable(collectables_.back());
}

}  // namespace kse::workload
