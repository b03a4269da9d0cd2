#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "metrics/family.h"

// librdkafka's statistics JSON (statistics.interval.ms) as Prometheus families.
// Any librdkafka program can link this library: feed each stats callback's
// document to ClientStats::update and serve families() (or register the
// prometheus-cpp adapter in client_stats/prometheus_collectable.h).
namespace kse::client_stats {

class StatsParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One document to families, a pure function. Per-broker and per-partition
// series are owned by the broker they describe (metrics::Sample::owner);
// per-client series by kClusterOwner. Throws StatsParseError naming what is wrong.
std::vector<metrics::Family> parse_stats(std::string_view json);

// The last good families of one client, thread-safe. A bad document keeps the
// previous families, counts an error and remembers the message.
class ClientStats {
 public:
  // Makes a client built from `conf` feed this object: sets statistics.interval.ms,
  // the stats callback and the conf's opaque (a program that needs its own opaque or
  // stats callback calls update() from that callback instead). Throws
  // std::invalid_argument when librdkafka refuses the interval.
  void attach(rd_kafka_conf_t* conf, int interval_ms = 5000);
  // Returns false when the document was rejected.
  bool update(std::string_view json);
  // The last good families plus this object's own counters (documents, errors);
  // empty before the first document.
  std::shared_ptr<const std::vector<metrics::Family>> families() const;
  uint64_t parse_errors() const;
  std::string last_error() const;

 private:
  void publish();

  mutable std::mutex mutex_;
  std::shared_ptr<const std::vector<metrics::Family>> last_good_;
  std::shared_ptr<const std::vector<metrics::Family>> published_;
  uint64_t documents_ = 0;
  uint64_t parse_errors_ = 0;
  std::string last_error_;
  std::string client_id_;
  std::string client_type_;
};

// For rd_kafka_conf_set_stats_cb with rd_kafka_conf_set_opaque(conf, ClientStats*):
// feeds the document and returns 0 (librdkafka frees the JSON).
int librdkafka_stats_callback(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);

}  // namespace kse::client_stats
