#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <vector>

#include "client_stats/client_stats.h"

// The client's statistics for an application that already serves metrics with
// prometheus-cpp:
//   auto client_metrics = std::make_shared<kse::client_stats::PrometheusCollectable>();
//   client_metrics->stats().attach(conf);
//   exposer.RegisterCollectable(client_metrics);
// The Exposer keeps only a weak_ptr: client_metrics must live as long as it is served.
namespace kse::client_stats {

class PrometheusCollectable : public prometheus::Collectable {
 public:
  PrometheusCollectable() : stats_(std::make_shared<ClientStats>()) {}
  explicit PrometheusCollectable(std::shared_ptr<ClientStats> stats) : stats_(std::move(stats)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;
  ClientStats& stats() { return *stats_; }

 private:
  std::shared_ptr<ClientStats> stats_;
};

// Our families in prometheus-cpp's form (summaries grouped by label set).
std::vector<prometheus::MetricFamily> to_prometheus(const std::vector<metrics::Family>& families);

}  // namespace kse::client_stats
