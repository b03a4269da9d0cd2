#include "platform/families.h"

#include <algorithm>
#include <string>

#include "model/catalogue.h"

namespace kse::platform {

namespace {

using metrics::Family;

void add(Family& family, metrics::LabelValues labels, double value) {
  metrics::Sample sample;
  sample.label_values = std::move(labels);
  sample.value = value;
  sample.owner = metrics::kClusterOwner;
  family.samples.push_back(std::move(sample));
}

Family& family_in(std::vector<Family>& out, const char* name) {
  for (auto& family : out) {
    if (family.name == name) return family;
  }
  out.push_back(model::make_family(name));
  return out.back();
}

// A collector's status as the exporter's own families report the Kafka collectors'.
void add_status(std::vector<Family>& out, const char* collector, bool up, const std::string& reason) {
  add(family_in(out, "kafka_sidecar_collector_up"), {collector}, up ? 1 : 0);
  if (!up) add(family_in(out, "kafka_sidecar_collector_error_info"), {collector, reason}, 1);
}

class Families {
 public:
  Family& operator[](const char* name) {
    for (auto& family : families_) {
      if (family.name == name) return family;
    }
    families_.push_back(model::make_family(name));
    return families_.back();
  }
  std::vector<Family> take() && {
    std::erase_if(families_, [](const Family& f) { return f.samples.empty(); });
    return std::move(families_);
  }

 private:
  std::vector<Family> families_;
};

void add_connectors(Families& f, const ConnectFacts& facts) {
  add(f["kafka_connect_connectors"], {}, static_cast<double>(facts.connectors.size()));
  for (const auto& c : facts.connectors) {
    add(f["kafka_connect_connector_info"], {c.name, c.type, c.connector_class}, 1);
    for (const auto state : kConnectStates) {
      add(f["kafka_connect_connector_state"], {c.name, c.worker, state}, c.state == state ? 1 : 0);
      const auto count = std::count_if(c.tasks.begin(), c.tasks.end(),
                                       [state](const TaskStatus& t) { return t.state == state; });
      add(f["kafka_connect_connector_tasks"], {c.name, state}, static_cast<double>(count));
    }
    add(f["kafka_connect_connector_trace_present"], {c.name}, c.trace ? 1 : 0);
    for (const auto& t : c.tasks) {
      const std::string task = std::to_string(t.id);
      for (const auto state : kConnectStates) {
        add(f["kafka_connect_task_state"], {c.name, task, t.worker, state}, t.state == state ? 1 : 0);
      }
      add(f["kafka_connect_task_trace_present"], {c.name, task}, t.trace ? 1 : 0);
      auto restarts = facts.task_restarts.find({c.name, t.id});
      add(f["kafka_connect_task_restarts_total"], {c.name, task},
          restarts == facts.task_restarts.end() ? 0 : static_cast<double>(restarts->second));
    }
  }
}

void add_mirrors(Families& f, const ConnectFacts& facts, double now_unix) {
  for (const auto& m : facts.mirrors) {
    if (m.kind != "source") {
      if (!m.newest_record) continue;
      const char* name = m.kind == "heartbeat" ? "kafka_mirror_heartbeat_age_seconds"
                                               : "kafka_mirror_checkpoint_age_seconds";
      add(f[name], {m.connector, m.source_cluster, m.target_cluster},
          std::max(0.0, now_unix - *m.newest_record));
      continue;
    }
    // A topic's lag is the sum over its partitions, and absent when one of them is unknown.
    std::string topic;
    int64_t topic_lag = 0;
    bool topic_known = true;
    const auto flush_topic = [&] {
      if (!topic.empty() && topic_known) {
        add(f["kafka_mirror_topic_lag"], {m.connector, m.source_cluster, topic},
            static_cast<double>(topic_lag));
      }
    };
    for (const auto& p : m.partitions) {
      if (p.topic != topic) {
        flush_topic();
        topic = p.topic;
        topic_lag = 0;
        topic_known = true;
      }
      const std::string partition = std::to_string(p.partition);
      add(f["kafka_mirror_partition_copied_offset"], {m.connector, m.source_cluster, p.topic, partition},
          static_cast<double>(p.next_to_copy));
      if (!p.source_end) {
        topic_known = false;
        continue;
      }
      // The copied offsets are read before the log ends: a log end below them is a source
      // that lost records (truncated), not a negative lag.
      const int64_t lag = std::max<int64_t>(0, *p.source_end - p.next_to_copy);
      add(f["kafka_mirror_partition_source_end_offset"], {m.connector, m.source_cluster, p.topic, partition},
          static_cast<double>(*p.source_end));
      add(f["kafka_mirror_partition_lag"], {m.connector, m.source_cluster, p.topic, partition},
          static_cast<double>(lag));
      topic_lag += lag;
    }
    flush_topic();
  }
}

}  // namespace

std::vector<Family> connect_families(const ConnectFacts& facts, bool mirror_lag, double now_unix) {
  std::vector<Family> out;
  add_status(out, "connect", facts.up, facts.reason);
  Family up = model::make_family("kafka_connect_up");
  add(up, {}, facts.up ? 1 : 0);
  out.push_back(std::move(up));
  if (!facts.up) return out;
  Families f;
  add_connectors(f, facts);
  add_mirrors(f, facts, now_unix);
  for (auto& family : std::move(f).take()) out.push_back(std::move(family));
  const bool any_mirror = std::any_of(facts.connectors.begin(), facts.connectors.end(), [](const auto& c) {
    return is_mirror_source(c) || is_mirror_checkpoint(c) || is_mirror_heartbeat(c);
  });
  if (mirror_lag && any_mirror) add_status(out, "mirrors", facts.mirror_error.empty(), facts.mirror_reason);
  return out;
}

std::vector<Family> registry_families(const RegistryFacts& facts, bool count_refusals) {
  std::vector<Family> out;
  add_status(out, "schema_registry", facts.up, facts.reason);
  Family up = model::make_family("kafka_schema_registry_up");
  add(up, {}, facts.up ? 1 : 0);
  out.push_back(std::move(up));
  if (!facts.up) return out;
  Families f;
  add(f["kafka_schema_registry_subjects"], {}, static_cast<double>(facts.subjects.size()));
  if (!facts.global_compatibility.empty()) {
    add(f["kafka_schema_registry_global_compatibility"], {facts.global_compatibility}, 1);
  }
  for (const auto& s : facts.subjects) {
    add(f["kafka_schema_registry_subject_versions"], {s.name}, static_cast<double>(s.versions.size()));
    if (!s.versions.empty()) {
      add(f["kafka_schema_registry_subject_latest_version"], {s.name},
          static_cast<double>(s.versions.back()));
    }
    const std::string& level = s.compatibility.empty() ? facts.global_compatibility : s.compatibility;
    if (!level.empty()) add(f["kafka_schema_registry_subject_compatibility"], {s.name, level}, 1);
  }
  if (count_refusals && facts.refused_registrations) {
    add(f["kafka_schema_registry_refused_registrations_total"], {}, *facts.refused_registrations);
  }
  for (auto& family : std::move(f).take()) out.push_back(std::move(family));
  return out;
}

}  // namespace kse::platform
