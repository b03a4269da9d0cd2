#include "app/cycle_stats.h"

namespace kse::app {

CycleResult classify_cycle(const model::CollectorStatuses& collectors) {
  if (!collectors.up(model::CollectorId::kMetadata)) return CycleResult::kFailed;
  return collectors.all_up() ? CycleResult::kOk : CycleResult::kPartial;
}

void record_cycle(model::ExporterStats& stats, const model::ClusterSnapshot& snapshot, double now_unix) {
  switch (classify_cycle(snapshot.collectors)) {
    case CycleResult::kOk: ++stats.cycles_ok; break;
    case CycleResult::kPartial: ++stats.cycles_partial; break;
    case CycleResult::kFailed: ++stats.cycles_failed; break;
  }
  stats.last_cycle_seconds = snapshot.cycle_duration.count();
  stats.last_collect_unix = now_unix;
  if (snapshot.complete) stats.last_success_unix = now_unix;
  stats.collectors = snapshot.collectors;
}

}  // namespace kse::app
