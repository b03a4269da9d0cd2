#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/family.h"

// The JVM and process series the jmx_exporter 0.20 agent adds by itself
// (Prometheus simpleclient_hotspot 0.16 DefaultExports), computed from the
// java.lang and java.nio MBeans read through Jolokia instead of in-process.
namespace kse::jmx {

struct MemoryUsage {
  double init = 0, used = 0, committed = 0, max = 0;
};

struct JvmSnapshot {
  std::optional<MemoryUsage> heap, non_heap;
  std::optional<double> objects_pending_finalization;
  struct Pool {
    std::string name;
    MemoryUsage usage;
    std::optional<MemoryUsage> collection_usage;  // only pools a collector manages
  };
  std::vector<Pool> pools;
  struct Collector {
    std::string name;
    double count = 0;
    double time_ms = 0;
  };
  std::vector<Collector> collectors;
  std::optional<double> threads_current, threads_daemon, threads_peak, threads_started;
  std::optional<double> threads_deadlocked, threads_deadlocked_monitor;
  std::map<std::string, double> thread_states;  // filled when the states were read
  std::optional<double> classes_loaded, classes_loaded_total, classes_unloaded_total;
  std::optional<double> start_time_ms;
  std::optional<double> process_cpu_ns, open_fds, max_fds;
  std::optional<double> virtual_memory_bytes, resident_memory_bytes;
  std::string runtime_name, runtime_version, vm_vendor;
  struct BufferPool {
    std::string name;
    double used_bytes = 0, capacity_bytes = 0, count = 0;
  };
  std::vector<BufferPool> buffer_pools;
};

// Thread.State names in declaration order, then UNKNOWN; every one is reported (0 when absent).
const std::vector<std::string>& java_thread_states();

// Families named and labelled as simpleclient_hotspot names them, samples owned by `owner`.
std::vector<metrics::Family> jvm_families(const JvmSnapshot& jvm, int32_t owner);

// VmSize and VmRSS (bytes) of a local process from /proc/<pid>/status, when that
// process started within `tolerance_s` of `jvm_start_ms` (so it is the broker's JVM).
struct ProcessMemory {
  double virtual_bytes = 0;
  double resident_bytes = 0;
};
std::optional<ProcessMemory> local_process_memory(const std::string& proc_root, int64_t pid,
                                                  double jvm_start_ms, double tolerance_s = 30);

}  // namespace kse::jmx
