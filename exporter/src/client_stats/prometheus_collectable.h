#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <vector>

#include "client_stats/client_stats.h"

// The client's statistics for an application that already serves metrics with
// prometheus-cpp:
//   auto stats = std::make_shared<kse::client_stats::ClientStats>();
//   exposer.RegisterCollectable(std::make_shared<kse::client_stats::PrometheusCollectable>(stats));
//   rd_kafka_conf_set_stats_cb(conf, kse::client_stats::librdkafka_stats_callback);  // opaque = stats.get()
namespace kse::client_stats {

class PrometheusCollectable : public prometheus::Collectable {
 public:
  explicit PrometheusCollectable(std::shared_ptr<ClientStats> stats) : stats_(std::move(stats)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<ClientStats> stats_;
};

// Our families in prometheus-cpp's form (summaries grouped by label set).
std::vector<prometheus::MetricFamily> to_prometheus(const std::vector<metrics::Family>& families);

}  // namespace kse::client_stats
