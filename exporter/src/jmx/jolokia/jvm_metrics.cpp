#include "jmx/jolokia/jvm_metrics.h"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace kse::jmx {

namespace {

using metrics::Family;
using metrics::MetricType;
using metrics::Sample;

Family family(std::string name, std::string help, MetricType type,
              std::vector<std::string> label_names = {}) {
  Family f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  f.label_names = std::move(label_names);
  return f;
}

void add(Family& f, double value, int32_t owner, std::vector<std::string> label_values = {},
         std::string suffix = {}) {
  Sample s;
  s.suffix = std::move(suffix);
  s.label_values = std::move(label_values);
  s.value = value;
  s.owner = owner;
  f.samples.push_back(std::move(s));
}

// Divides like simpleclient does (x / 1.0E9, not x * 1e-9) so the doubles come out identical.
void add_single(std::vector<Family>& out, const std::optional<double>& value, const char* name,
                const char* help, MetricType type, int32_t owner, double divisor = 1) {
  if (!value) return;
  Family f = family(name, help, type);
  add(f, *value / divisor, owner);
  out.push_back(std::move(f));
}

}  // namespace

const std::vector<std::string>& java_thread_states() {
  // simpleclient_hotspot 0.16 also reports UNKNOWN (always 0 on a HotSpot JVM).
  static const std::vector<std::string> kStates = {"NEW",           "RUNNABLE",   "BLOCKED", "WAITING",
                                                   "TIMED_WAITING", "TERMINATED", "UNKNOWN"};
  return kStates;
}

std::vector<Family> jvm_families(const JvmSnapshot& jvm, int32_t owner) {
  std::vector<Family> out;

  // StandardExports
  add_single(out, jvm.process_cpu_ns, "process_cpu_seconds_total",
             "Total user and system CPU time spent in seconds.", MetricType::kCounter, owner, 1.0e9);
  add_single(out, jvm.start_time_ms, "process_start_time_seconds",
             "Start time of the process since unix epoch in seconds.", MetricType::kGauge, owner, 1.0e3);
  add_single(out, jvm.open_fds, "process_open_fds", "Number of open file descriptors.", MetricType::kGauge,
             owner);
  add_single(out, jvm.max_fds, "process_max_fds", "Maximum number of open file descriptors.",
             MetricType::kGauge, owner);
  add_single(out, jvm.virtual_memory_bytes, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
             MetricType::kGauge, owner);
  add_single(out, jvm.resident_memory_bytes, "process_resident_memory_bytes",
             "Resident memory size in bytes.", MetricType::kGauge, owner);

  // MemoryPoolsExports
  if (jvm.objects_pending_finalization) {
    add_single(out, jvm.objects_pending_finalization, "jvm_memory_objects_pending_finalization",
               "The number of objects waiting in the finalizer queue.", MetricType::kGauge, owner);
  }
  if (jvm.heap && jvm.non_heap) {
    struct Area {
      const char* name;
      const char* help;
      double MemoryUsage::*field;
    };
    const Area areas[] = {
        {"jvm_memory_bytes_used", "Used bytes of a given JVM memory area.", &MemoryUsage::used},
        {"jvm_memory_bytes_committed", "Committed (bytes) of a given JVM memory area.",
         &MemoryUsage::committed},
        {"jvm_memory_bytes_max", "Max (bytes) of a given JVM memory area.", &MemoryUsage::max},
        {"jvm_memory_bytes_init", "Initial bytes of a given JVM memory area.", &MemoryUsage::init},
    };
    for (const Area& area : areas) {
      Family f = family(area.name, area.help, MetricType::kGauge, {"area"});
      add(f, (*jvm.heap).*area.field, owner, {"heap"});
      add(f, (*jvm.non_heap).*area.field, owner, {"nonheap"});
      out.push_back(std::move(f));
    }
  }
  if (!jvm.pools.empty()) {
    struct PoolFamily {
      const char* name;
      const char* help;
      double MemoryUsage::*field;
      bool collection;
    };
    const PoolFamily pool_families[] = {
        {"jvm_memory_pool_bytes_used", "Used bytes of a given JVM memory pool.", &MemoryUsage::used, false},
        {"jvm_memory_pool_bytes_committed", "Committed bytes of a given JVM memory pool.",
         &MemoryUsage::committed, false},
        {"jvm_memory_pool_bytes_max", "Max bytes of a given JVM memory pool.", &MemoryUsage::max, false},
        {"jvm_memory_pool_bytes_init", "Initial bytes of a given JVM memory pool.", &MemoryUsage::init,
         false},
        {"jvm_memory_pool_collection_used_bytes",
         "Used bytes after last collection of a given JVM memory pool.", &MemoryUsage::used, true},
        {"jvm_memory_pool_collection_committed_bytes",
         "Committed after last collection bytes of a given JVM memory pool.", &MemoryUsage::committed, true},
        {"jvm_memory_pool_collection_max_bytes",
         "Max bytes after last collection of a given JVM memory pool.", &MemoryUsage::max, true},
        {"jvm_memory_pool_collection_init_bytes",
         "Initial after last collection bytes of a given JVM memory pool.", &MemoryUsage::init, true},
    };
    for (const PoolFamily& pf : pool_families) {
      Family f = family(pf.name, pf.help, MetricType::kGauge, {"pool"});
      for (const auto& pool : jvm.pools) {
        if (!pf.collection) {
          add(f, pool.usage.*pf.field, owner, {pool.name});
        } else if (pool.collection_usage) {
          add(f, (*pool.collection_usage).*pf.field, owner, {pool.name});
        }
      }
      out.push_back(std::move(f));
    }
  }

  // BufferPoolsExports
  if (!jvm.buffer_pools.empty()) {
    Family used = family("jvm_buffer_pool_used_bytes", "Used bytes of a given JVM buffer pool.",
                         MetricType::kGauge, {"pool"});
    Family capacity = family("jvm_buffer_pool_capacity_bytes", "Bytes capacity of a given JVM buffer pool.",
                             MetricType::kGauge, {"pool"});
    Family buffers = family("jvm_buffer_pool_used_buffers", "Used buffers of a given JVM buffer pool.",
                            MetricType::kGauge, {"pool"});
    for (const auto& pool : jvm.buffer_pools) {
      add(used, pool.used_bytes, owner, {pool.name});
      add(capacity, pool.capacity_bytes, owner, {pool.name});
      add(buffers, pool.count, owner, {pool.name});
    }
    out.push_back(std::move(used));
    out.push_back(std::move(capacity));
    out.push_back(std::move(buffers));
  }

  // GarbageCollectorExports
  if (!jvm.collectors.empty()) {
    Family gc = family("jvm_gc_collection_seconds", "Time spent in a given JVM garbage collector in seconds.",
                       MetricType::kSummary, {"gc"});
    for (const auto& collector : jvm.collectors) {
      add(gc, collector.count, owner, {collector.name}, "_count");
      add(gc, collector.time_ms / 1000.0, owner, {collector.name}, "_sum");
    }
    out.push_back(std::move(gc));
  }

  // ThreadExports
  add_single(out, jvm.threads_current, "jvm_threads_current", "Current thread count of a JVM",
             MetricType::kGauge, owner);
  add_single(out, jvm.threads_daemon, "jvm_threads_daemon", "Daemon thread count of a JVM",
             MetricType::kGauge, owner);
  add_single(out, jvm.threads_peak, "jvm_threads_peak", "Peak thread count of a JVM", MetricType::kGauge,
             owner);
  add_single(out, jvm.threads_started, "jvm_threads_started_total", "Started thread count of a JVM",
             MetricType::kCounter, owner);
  add_single(out, jvm.threads_deadlocked, "jvm_threads_deadlocked",
             "Cycles of JVM-threads that are in deadlock waiting to acquire object monitors or "
             "ownable synchronizers",
             MetricType::kGauge, owner);
  add_single(out, jvm.threads_deadlocked_monitor, "jvm_threads_deadlocked_monitor",
             "Cycles of JVM-threads that are in deadlock waiting to acquire object monitors",
             MetricType::kGauge, owner);
  if (!jvm.thread_states.empty()) {
    Family states =
        family("jvm_threads_state", "Current count of threads by state", MetricType::kGauge, {"state"});
    for (const std::string& state : java_thread_states()) {
      const auto it = jvm.thread_states.find(state);
      add(states, it == jvm.thread_states.end() ? 0 : it->second, owner, {state});
    }
    for (const auto& [state, count] : jvm.thread_states) {
      bool known = false;
      for (const std::string& s : java_thread_states()) known = known || s == state;
      if (!known) add(states, count, owner, {state});
    }
    out.push_back(std::move(states));
  }

  // ClassLoadingExports
  add_single(out, jvm.classes_loaded, "jvm_classes_currently_loaded",
             "The number of classes that are currently loaded in the JVM", MetricType::kGauge, owner);
  add_single(out, jvm.classes_loaded_total, "jvm_classes_loaded_total",
             "The total number of classes that have been loaded since the JVM has started "
             "execution",
             MetricType::kCounter, owner);
  add_single(out, jvm.classes_unloaded_total, "jvm_classes_unloaded_total",
             "The total number of classes that have been unloaded since the JVM has started "
             "execution",
             MetricType::kCounter, owner);

  // VersionInfoExports
  if (!jvm.runtime_version.empty()) {
    Family info = family("jvm_info", "VM version info", MetricType::kGauge, {"runtime", "vendor", "version"});
    add(info, 1, owner, {jvm.runtime_name, jvm.vm_vendor, jvm.runtime_version});
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<ProcessMemory> local_process_memory(const std::string& proc_root, int64_t pid,
                                                  double jvm_start_ms, double tolerance_s) {
  if (pid <= 0) return std::nullopt;
  const std::string dir = proc_root + "/" + std::to_string(pid);
  std::ifstream stat_file(dir + "/stat");
  std::string stat_line;
  if (!stat_file || !std::getline(stat_file, stat_line)) return std::nullopt;
  // Field 22 (starttime, clock ticks after boot) comes after the ")" closing the command name.
  const size_t close = stat_line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat_line.substr(close + 2));
  std::string field;
  double start_ticks = -1;
  for (int index = 3; fields >> field; ++index) {
    if (index == 22) {
      start_ticks = std::atof(field.c_str());
      break;
    }
  }
  std::ifstream proc_stat(proc_root + "/stat");
  std::string line;
  double boot_time = -1;
  while (std::getline(proc_stat, line)) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::atof(line.c_str() + 6);
  }
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  if (start_ticks < 0 || boot_time < 0 || ticks_per_second <= 0) return std::nullopt;
  const double started = boot_time + start_ticks / static_cast<double>(ticks_per_second);
  if (std::fabs(started - jvm_start_ms / 1000.0) > tolerance_s) return std::nullopt;

  std::ifstream status(dir + "/status");
  ProcessMemory memory;
  bool have_size = false, have_rss = false;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) {
      memory.virtual_bytes = std::atof(line.c_str() + 7) * 1024;
      have_size = true;
    } else if (line.rfind("VmRSS:", 0) == 0) {
      memory.resident_bytes = std::atof(line.c_str() + 6) * 1024;
      have_rss = true;
    }
  }
  if (!have_size || !have_rss) return std::nullopt;
  return memory;
}

}  // namespace kse::jmx
