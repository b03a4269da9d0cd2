#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client_stats/client_stats.h"

// A tool's /metrics: its librdkafka clients' statistics (kafka_client_*) and its
// own courier_*_total counters, served with prometheus-cpp's pull Exposer.
namespace kse::workload {

class MetricsEndpoint {
 public:
  // Port 0 serves nothing; the counters still count. Throws WorkloadError when
  // the port cannot be served.
  MetricsEndpoint(const std::string& address, int port);

  bool serving() const { return exposer_ != nullptr; }

  // One series `name{labels}`; families are created on first use.
  prometheus::Counter& counter(const std::string& name, const std::string& help,
                               const std::map<std::string, std::string>& labels);

  // Several clients of one process (a consumer group's instances) are merged into
  // one set of families, so each family appears once on the page.
  void serve_client_stats(const std::vector<std::shared_ptr<client_stats::ClientStats>>& stats);

 private:
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  // The Exposer holds collectables weakly: they live here.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::map<std::string, prometheus::Family<prometheus::Counter>*> counter_families_;
};

}  // namespace kse::workload
