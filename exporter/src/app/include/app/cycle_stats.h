#pragma once

#include "model/model.h"
#include "model/snapshot.h"

// What the exporter says about its own cycles (kafka_sidecar_cycles_total and friends).
namespace kse::app {

enum class CycleResult { kOk, kPartial, kFailed };
// Failed without metadata, partial when any other part failed.
CycleResult classify_cycle(const model::CollectorStatuses& collectors);

// Counts the cycle of `snapshot`, ended at `now_unix`, into `stats`: its result, duration,
// time, and each collector's status.
void record_cycle(model::ExporterStats& stats, const model::ClusterSnapshot& snapshot, double now_unix);

}  // namespace kse::app
