#include "jmx/jolokia/jolokia.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace kse::jmx {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// MXBean Map attributes: TabularData with index "key" and column "value", which
// Jolokia turns into plain JSON objects (so they cannot be told from composites).
bool is_mxbean_map(std::string_view attribute) {
  static const std::array<std::string_view, 3> kMaps = {"memoryUsageBeforeGc", "memoryUsageAfterGc",
                                                        "SystemProperties"};
  return std::find(kMaps.begin(), kMaps.end(), attribute) != kMaps.end();
}

// CompositeType.getDescription() of the JDK's composites (Jolokia sends values only).
std::string composite_description(const BeanRef& bean, object composite, std::string_view fallback) {
  size_t keys = 0;
  bool memory_usage = true;
  bool gc_info = false;
  for (auto field : composite) {
    ++keys;
    const std::string_view k = field.key;
    memory_usage = memory_usage && (k == "committed" || k == "init" || k == "max" || k == "used");
    gc_info = gc_info || k == "GcThreadCount" || k == "memoryUsageAfterGc";
  }
  if (memory_usage && keys == 4) return "java.lang.management.MemoryUsage";
  if (gc_info) {
    for (const auto& [key, value] : *bean.properties) {
      if (key == "name") return "CompositeType for GC info for " + value;
    }
  }
  return std::string(fallback);
}

bool is_floating(std::string_view type) {
  return type == "double" || type == "float" || type == "java.lang.Double" || type == "java.lang.Float";
}

void process_value(const BeanRef& bean, const std::vector<std::string>& attr_keys, std::string_view attr_name,
                   std::string_view description, element value, RuleEngine& engine, FeedStats& stats,
                   bool table_row = false, std::string_view type = {}) {
  switch (value.type()) {
    case element_type::NULL_VALUE:
      // Jolokia writes NaN and infinities as null; jmx_exporter would export NaN.
      if (is_floating(type)) {
        engine.record(bean, attr_keys, attr_name, description, JmxValue::of_double(std::nan("")));
        ++stats.attributes;
      }
      return;
    case element_type::INT64:
      engine.record(bean, attr_keys, attr_name, description,
                    JmxValue::of_integer(static_cast<double>(int64_t(value))));
      ++stats.attributes;
      return;
    case element_type::UINT64:
      engine.record(bean, attr_keys, attr_name, description,
                    JmxValue::of_integer(static_cast<double>(uint64_t(value))));
      ++stats.attributes;
      return;
    case element_type::DOUBLE:
      engine.record(bean, attr_keys, attr_name, description, JmxValue::of_double(double(value)));
      ++stats.attributes;
      return;
    case element_type::BOOL:
      engine.record(bean, attr_keys, attr_name, description, JmxValue::of_boolean(bool(value)));
      ++stats.attributes;
      return;
    case element_type::STRING:
      engine.record(bean, attr_keys, attr_name, description,
                    JmxValue::of_string(std::string(std::string_view(value))));
      ++stats.attributes;
      return;
    case element_type::ARRAY: return;  // jmx_exporter: "arrays are unsupported"
    case element_type::OBJECT: break;
  }
  const object composite = value;
  if (composite.size() == 1) {
    // A javax.management.ObjectName value, which jmx_exporter does not export.
    const auto only = composite.at_key("objectName");
    if (!only.error()) return;
  }
  if (!table_row && is_mxbean_map(attr_name)) {
    for (auto row : composite) {
      std::vector<KeyProperty> properties = *bean.properties;
      std::string key = "key";
      const auto has_key = [&](const std::string& k) {
        return std::any_of(properties.begin(), properties.end(),
                           [&](const KeyProperty& p) { return p.first == k; });
      };
      while (has_key(key)) key += '_';
      properties.emplace_back(key, std::string(row.key));
      const std::string prefix = match_prefix(bean.domain, properties);
      const BeanRef row_bean{bean.domain, &properties, prefix};
      process_value(row_bean, attr_keys, attr_name, description, row.value, engine, stats, true);
    }
    return;
  }
  std::vector<std::string> keys = attr_keys;
  keys.emplace_back(attr_name);
  const std::string child_description = composite_description(bean, composite, description);
  // CompositeType.keySet() is sorted.
  std::vector<std::pair<std::string_view, element>> fields;
  for (auto field : composite) fields.emplace_back(field.key, field.value);
  std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, child] : fields) {
    process_value(bean, keys, key, child_description, child, engine, stats);
  }
}

std::optional<double> number_of(element value) {
  switch (value.type()) {
    case element_type::INT64: return static_cast<double>(int64_t(value));
    case element_type::UINT64: return static_cast<double>(uint64_t(value));
    case element_type::DOUBLE: return double(value);
    default: return std::nullopt;
  }
}

std::optional<double> number_at(element parent, std::string_view key) {
  if (parent.type() != element_type::OBJECT) return std::nullopt;
  const auto child = parent.at_key(key);
  if (child.error()) return std::nullopt;
  return number_of(child.value_unsafe());
}

std::optional<MemoryUsage> usage_of(element value) {
  if (value.type() != element_type::OBJECT) return std::nullopt;
  MemoryUsage usage;
  const auto init = number_at(value, "init");
  const auto used = number_at(value, "used");
  const auto committed = number_at(value, "committed");
  const auto max = number_at(value, "max");
  if (!init || !used || !committed || !max) return std::nullopt;
  usage.init = *init;
  usage.used = *used;
  usage.committed = *committed;
  usage.max = *max;
  return usage;
}

// The "value" of one answer of a bulk response, when it succeeded.
std::optional<element> value_of(element response) {
  if (response.type() != element_type::OBJECT) return std::nullopt;
  const auto status = response.at_key("status");
  if (status.error() || number_of(status.value_unsafe()).value_or(0) != 200) return std::nullopt;
  const auto value = response.at_key("value");
  if (value.error()) return std::nullopt;
  return value.value_unsafe();
}

std::string name_part(std::string_view bean_name) {
  const size_t eq = bean_name.find("name=");
  if (eq == std::string_view::npos) return {};
  const size_t start = eq + 5;
  const size_t comma = bean_name.find(',', start);
  return std::string(
      bean_name.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
}

// Position of an attribute in the MBeanInfo of Kafka's Yammer metrics (JmxReporter beans).
int yammer_rank(std::string_view attribute) {
  static const std::array<std::string_view, 20> kOrder = {"Count",
                                                          "Value",
                                                          "EventType",
                                                          "RateUnit",
                                                          "MeanRate",
                                                          "OneMinuteRate",
                                                          "FiveMinuteRate",
                                                          "FifteenMinuteRate",
                                                          "Min",
                                                          "Max",
                                                          "Mean",
                                                          "StdDev",
                                                          "50thPercentile",
                                                          "75thPercentile",
                                                          "95thPercentile",
                                                          "98thPercentile",
                                                          "99thPercentile",
                                                          "999thPercentile",
                                                          "LatencyUnit",
                                                          "DurationUnit"};
  const auto it = std::find(kOrder.begin(), kOrder.end(), attribute);
  return static_cast<int>(it - kOrder.begin());
}

}  // namespace

const KnownBean* BeanCatalog::find_or_add(std::string_view name) {
  auto it = beans_.find(std::string(name));
  if (it == beans_.end()) {
    auto bean = std::make_unique<KnownBean>();
    try {
      bean->name = parse_object_name(name);
    } catch (const ObjectNameError&) {
      return nullptr;
    }
    bean->prefix = bean->name.match_prefix();
    bean->wanted = rules_->object_wanted(bean->name);
    it = beans_.emplace(std::string(name), std::move(bean)).first;
  }
  it->second->cycle = cycle_;
  return it->second.get();
}

size_t BeanCatalog::end_cycle() {
  for (auto it = beans_.begin(); it != beans_.end();) {
    it = it->second->cycle == cycle_ ? std::next(it) : beans_.erase(it);
  }
  return beans_.size();
}

void feed_bean(const KnownBean& bean, object attributes, const BeanAttributes* descriptions,
               RuleEngine& engine, FeedStats& stats) {
  const BeanRef ref{bean.name.domain, &bean.name.properties, bean.prefix};
  static const std::vector<std::string> kNoKeys;
  static const std::string kDefaultDescription = "Attribute exposed for management";
  ++stats.beans;
  const bool runtime = bean.name.text == "java.lang:type=Runtime";
  if (bean.name.text == "jdk.management.jfr:type=FlightRecorder") return;
  // jmx_exporter walks attributes in MBeanInfo order and a family takes the type and help
  // of its first sample; Jolokia's order is a hash order, so restore Yammer's (Count first).
  std::vector<std::pair<std::string_view, element>> ordered;
  ordered.reserve(attributes.size());
  for (auto attribute : attributes) ordered.emplace_back(attribute.key, attribute.value);
  if (ordered.size() > 1) {
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
      return yammer_rank(a.first) < yammer_rank(b.first);
    });
  }
  for (const auto& attribute : ordered) {
    const std::string_view attr_name = attribute.first;
    // jmx_exporter skips these (costly to read, never numbers).
    if (runtime && (attr_name == "SystemProperties" || attr_name == "ClassPath" ||
                    attr_name == "BootClassPath" || attr_name == "LibraryPath")) {
      continue;
    }
    if (engine.rules().attribute_excluded(bean.name, attr_name)) continue;
    const std::string* description = &kDefaultDescription;
    std::string_view type;
    if (descriptions != nullptr) {
      const auto it = descriptions->find(std::string(attr_name));
      if (it != descriptions->end()) {
        description = &it->second.description;
        type = it->second.type;
      }
    }
    process_value(ref, kNoKeys, attr_name, *description, attribute.second, engine, stats, false, type);
  }
}

void feed_pattern_read(object beans, BeanCatalog& catalog, const AttributeDescriptions& descriptions,
                       RuleEngine& engine, FeedStats& stats) {
  for (auto entry : beans) {
    const KnownBean* bean = catalog.find_or_add(entry.key);
    if (bean == nullptr || !bean->wanted || entry.value.type() != element_type::OBJECT) continue;
    const auto it = descriptions.find(bean->name.text);
    feed_bean(*bean, object(entry.value), it == descriptions.end() ? nullptr : &it->second, engine, stats);
  }
}

FeedStats feed_pattern_read_json(std::string_view json, BeanCatalog& catalog,
                                 const AttributeDescriptions& descriptions, RuleEngine& engine) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  const element root = parser.parse(padded);
  FeedStats stats;
  feed_pattern_read(object(root), catalog, descriptions, engine, stats);
  return stats;
}

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::vector<JvmRequest> jvm_read_requests(const std::string& config) {
  const auto read = [&](const char* mbean, const char* attributes, const char* path = nullptr) {
    std::string r = R"({"type":"read","mbean":")" + std::string(mbean) + "\",\"attribute\":" + attributes;
    if (path != nullptr) r += R"(,"path":")" + std::string(path) + "\"";
    return r + ",\"config\":" + config + "}";
  };
  const auto exec = [&](const char* operation) {
    return R"({"type":"exec","mbean":"java.lang:type=Threading","operation":")" + std::string(operation) +
           "\",\"arguments\":[],\"config\":" + config + "}";
  };
  return {
      {JvmRead::kMemory,
       read("java.lang:type=Memory",
            R"(["HeapMemoryUsage","NonHeapMemoryUsage","ObjectPendingFinalizationCount"])")},
      {JvmRead::kMemoryPools, read("java.lang:type=MemoryPool,*", R"(["Usage","CollectionUsage"])")},
      {JvmRead::kGarbageCollectors,
       read("java.lang:type=GarbageCollector,*", R"(["CollectionCount","CollectionTime"])")},
      {JvmRead::kThreads,
       read(
           "java.lang:type=Threading",
           R"(["ThreadCount","DaemonThreadCount","PeakThreadCount","TotalStartedThreadCount","AllThreadIds"])")},
      {JvmRead::kDeadlockedThreads, exec("findDeadlockedThreads()")},
      {JvmRead::kMonitorDeadlockedThreads, exec("findMonitorDeadlockedThreads()")},
      {JvmRead::kClassLoading, read("java.lang:type=ClassLoading",
                                    R"(["LoadedClassCount","TotalLoadedClassCount","UnloadedClassCount"])")},
      {JvmRead::kStartTime, read("java.lang:type=Runtime", R"("StartTime")")},
      {JvmRead::kPid, read("java.lang:type=Runtime", R"("Pid")")},
      {JvmRead::kRuntimeName, read("java.lang:type=Runtime", R"("SystemProperties")", "java.runtime.name")},
      {JvmRead::kRuntimeVersion,
       read("java.lang:type=Runtime", R"("SystemProperties")", "java.runtime.version")},
      {JvmRead::kVmVendor, read("java.lang:type=Runtime", R"("SystemProperties")", "java.vm.vendor")},
      {JvmRead::kOperatingSystem,
       read(
           "java.lang:type=OperatingSystem",
           R"(["ProcessCpuTime","OpenFileDescriptorCount","MaxFileDescriptorCount","CommittedVirtualMemorySize"])")},
      {JvmRead::kBufferPools,
       read("java.nio:type=BufferPool,*", R"(["MemoryUsed","TotalCapacity","Count"])")},
  };
}

void parse_jvm_response(JvmRead read, element response, JvmSnapshot& jvm, std::vector<int64_t>& thread_ids,
                        int64_t& pid) {
  const auto value = value_of(response);
  if (!value) return;
  const auto text = [&]() -> std::string {
    return value->type() == element_type::STRING ? std::string(std::string_view(*value)) : "";
  };
  // A deadlock finder answers null when no thread is deadlocked.
  const auto deadlocked = [&]() -> double {
    return value->type() == element_type::ARRAY ? static_cast<double>(simdjson::dom::array(*value).size())
                                                : 0;
  };
  switch (read) {
    case JvmRead::kMemory: {
      const auto heap = value->at_key("HeapMemoryUsage");
      const auto non_heap = value->at_key("NonHeapMemoryUsage");
      if (!heap.error()) jvm.heap = usage_of(heap.value_unsafe());
      if (!non_heap.error()) jvm.non_heap = usage_of(non_heap.value_unsafe());
      jvm.objects_pending_finalization = number_at(*value, "ObjectPendingFinalizationCount");
      return;
    }
    case JvmRead::kMemoryPools:
      if (value->type() != element_type::OBJECT) return;
      for (auto entry : object(*value)) {
        JvmSnapshot::Pool pool;
        pool.name = name_part(entry.key);
        const auto usage = entry.value.at_key("Usage");
        if (usage.error()) continue;
        const auto parsed = usage_of(usage.value_unsafe());
        if (!parsed) continue;
        pool.usage = *parsed;
        const auto collection = entry.value.at_key("CollectionUsage");
        if (!collection.error()) pool.collection_usage = usage_of(collection.value_unsafe());
        jvm.pools.push_back(std::move(pool));
      }
      return;
    case JvmRead::kGarbageCollectors:
      if (value->type() != element_type::OBJECT) return;
      for (auto entry : object(*value)) {
        const auto count = number_at(entry.value, "CollectionCount");
        const auto time = number_at(entry.value, "CollectionTime");
        if (!count || !time) continue;
        jvm.collectors.push_back({name_part(entry.key), *count, *time});
      }
      return;
    case JvmRead::kThreads: {
      jvm.threads_current = number_at(*value, "ThreadCount");
      jvm.threads_daemon = number_at(*value, "DaemonThreadCount");
      jvm.threads_peak = number_at(*value, "PeakThreadCount");
      jvm.threads_started = number_at(*value, "TotalStartedThreadCount");
      const auto ids = value->at_key("AllThreadIds");
      if (!ids.error() && ids.value_unsafe().type() == element_type::ARRAY) {
        for (auto id : simdjson::dom::array(ids.value_unsafe())) {
          if (const auto n = number_of(id)) thread_ids.push_back(static_cast<int64_t>(*n));
        }
      }
      return;
    }
    case JvmRead::kDeadlockedThreads: jvm.threads_deadlocked = deadlocked(); return;
    case JvmRead::kMonitorDeadlockedThreads: jvm.threads_deadlocked_monitor = deadlocked(); return;
    case JvmRead::kClassLoading:
      jvm.classes_loaded = number_at(*value, "LoadedClassCount");
      jvm.classes_loaded_total = number_at(*value, "TotalLoadedClassCount");
      jvm.classes_unloaded_total = number_at(*value, "UnloadedClassCount");
      return;
    case JvmRead::kStartTime: jvm.start_time_ms = number_of(*value); return;
    case JvmRead::kPid: pid = static_cast<int64_t>(number_of(*value).value_or(-1)); return;
    case JvmRead::kRuntimeName: jvm.runtime_name = text(); return;
    case JvmRead::kRuntimeVersion: jvm.runtime_version = text(); return;
    case JvmRead::kVmVendor: jvm.vm_vendor = text(); return;
    case JvmRead::kOperatingSystem:
      jvm.process_cpu_ns = number_at(*value, "ProcessCpuTime");
      jvm.open_fds = number_at(*value, "OpenFileDescriptorCount");
      jvm.max_fds = number_at(*value, "MaxFileDescriptorCount");
      jvm.virtual_memory_bytes = number_at(*value, "CommittedVirtualMemorySize");
      return;
    case JvmRead::kBufferPools:
      if (value->type() != element_type::OBJECT) return;
      for (auto entry : object(*value)) {
        const auto used = number_at(entry.value, "MemoryUsed");
        const auto capacity = number_at(entry.value, "TotalCapacity");
        const auto count = number_at(entry.value, "Count");
        if (!used || !capacity || !count) continue;
        jvm.buffer_pools.push_back({name_part(entry.key), *used, *capacity, *count});
      }
      return;
  }
}

std::string thread_info_request(const std::vector<int64_t>& thread_ids, const std::string& config) {
  std::string ids = "[";
  for (size_t i = 0; i < thread_ids.size(); ++i) {
    if (i > 0) ids += ',';
    ids += std::to_string(thread_ids[i]);
  }
  ids += ']';
  return R"x({"type":"exec","mbean":"java.lang:type=Threading","operation":"getThreadInfo([J)","arguments":[)x" +
         ids + "],\"config\":" + config + "}";
}

void parse_thread_info_response(element response, JvmSnapshot& jvm) {
  const auto value = value_of(response);
  if (!value || value->type() != element_type::ARRAY) return;
  for (const std::string& state : java_thread_states()) jvm.thread_states[state] = 0;
  for (auto info : simdjson::dom::array(*value)) {
    if (info.type() != element_type::OBJECT) continue;
    const auto state = info.at_key("threadState");
    if (state.error() || state.value_unsafe().type() != element_type::STRING) continue;
    jvm.thread_states[std::string(std::string_view(state.value_unsafe()))] += 1;
  }
}

void parse_bean_info(element info, BeanAttributes& attributes) {
  element attr;
  if (info.at_key("attr").get(attr) || attr.type() != element_type::OBJECT) return;
  for (auto attribute : object(attr)) {
    AttributeInfo& out = attributes[std::string(attribute.key)];
    std::string_view text;
    if (!attribute.value.at_key("desc").get(text)) out.description = text;
    if (!attribute.value.at_key("type").get(text)) out.type = text;
  }
}

void parse_list_value(element value, std::string_view domain, AttributeDescriptions& descriptions) {
  if (value.type() != element_type::OBJECT) return;
  for (auto bean : object(value)) {
    if (bean.value.type() != element_type::OBJECT) continue;
    if (bean.value.at_key("attr").error()) {
      if (domain.empty()) parse_list_value(bean.value, bean.key, descriptions);
      continue;
    }
    parse_bean_info(bean.value, descriptions[std::string(domain) + ":" + std::string(bean.key)]);
  }
}

}  // namespace kse::jmx
