#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/family.h"
#include "model/derived.h"
#include "model/snapshot.h"

// Snapshot -> metric families. Pure functions: same input, same output.
namespace kse::model {

struct ModelOptions {
  bool partition_metrics = true;        // per-partition topic families
  bool group_partition_metrics = true;  // per-partition consumer group families
};

// What the process spends, for kafka_sidecar_response_*, _cycle_stage_seconds, _page_bytes
// and _heap_bytes: each value is absent until it was measured.
struct ResponseCost {
  std::string api;
  uint64_t bytes = 0;
  double decode_seconds = 0;
};
struct PageBytes {
  size_t text = 0;
  size_t gzip = 0;
};
struct HeapBytes {
  size_t in_use = 0;  // handed out by the allocator
  size_t free = 0;    // held by the allocator, not handed out
};
struct ProcessCost {
  std::vector<ResponseCost> responses;
  std::map<std::string, double> stage_seconds;  // model, render, gzip of the last cycle measured
  std::map<int, PageBytes> pages;               // the heads of the pages last rendered, by port
  std::optional<HeapBytes> heap;                // after the last cycle's memory was handed back
};

struct ExporterStats {
  std::string version;
  double last_cycle_seconds = 0;
  uint64_t cycles_ok = 0;
  uint64_t cycles_partial = 0;
  uint64_t cycles_failed = 0;
  std::optional<double> last_collect_unix;
  std::optional<double> last_success_unix;
  CollectorStatuses collectors;
  std::vector<RequestStats> requests;
  RecordReadStats record_reads;
  std::map<int, size_t> series_per_port;
  std::vector<std::string> dropped_families;
  ProcessCost cost;
  // Rotated login files taken into use, and changes that could not be used.
  uint64_t credential_reloads_ok = 0;
  uint64_t credential_reloads_failed = 0;
};

std::vector<metrics::Family> build_cluster_families(const ClusterSnapshot& snapshot,
                                                    const DerivedState& derived, const ModelOptions& options);

// The exporter's own kafka_sidecar_* families, all owned by `owner`.
std::vector<metrics::Family> build_exporter_families(const ExporterStats& stats, int32_t owner);

// The order in which whole families are left out when limits.max_series is reached:
// per-partition group series first, then per-partition topic series, then the rest.
const std::vector<std::string>& series_limit_drop_order();

// Removes whole families in series_limit_drop_order() until at most `max_series`
// series remain (0 = no limit). Returns the names of the families removed.
std::vector<std::string> apply_series_limit(std::vector<metrics::Family>& families, int64_t max_series);

size_t count_series(const std::vector<metrics::Family>& families);

}  // namespace kse::model
