#include "model/model.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <set>

#include "common/clock.h"
#include "model/catalogue.h"

namespace kse::model {

using common::unix_seconds;

using metrics::Family;
using metrics::kClusterOwner;
using metrics::Sample;

namespace {

// A braced list of values packs them once; a LabelValues made once is shared by every sample
// it is passed to (a partition's families carry the same {topic, partition}).
void add(Family& family, metrics::LabelValues label_values, double value, int32_t owner = kClusterOwner) {
  Sample sample;
  sample.label_values = std::move(label_values);
  sample.value = value;
  sample.owner = owner;
  family.samples.push_back(std::move(sample));
}

std::string join_ids(const std::vector<int32_t>& ids) {
  std::string joined;
  for (int32_t id : ids) {
    if (!joined.empty()) joined += ',';
    joined += std::to_string(id);
  }
  return joined;
}

// Families keyed by name, emitted in catalogue order so output is stable.
class FamilySet {
 public:
  // Looked up once per sample: by view, without building a string each time.
  Family& operator[](std::string_view name) {
    auto it = families_.find(name);
    if (it == families_.end()) {
      it = families_.emplace(std::string(name), make_family(name)).first;
    }
    return it->second;
  }

  // Room for `samples` in each of `names` at once: the large per-partition families would
  // otherwise grow by doubling and hold up to twice their size at the cycle's peak.
  void reserve(std::initializer_list<std::string_view> names, size_t samples) {
    for (std::string_view name : names) (*this)[name].samples.reserve(samples);
  }

  std::vector<Family> take() {
    std::vector<Family> out;
    for (const auto& s : catalogue()) {
      auto it = families_.find(std::string(s.name));
      if (it != families_.end() && !it->second.samples.empty()) {
        out.push_back(std::move(it->second));
      }
    }
    return out;
  }

 private:
  std::map<std::string, Family, std::less<>> families_;
};

void build_brokers(const ClusterSnapshot& snapshot, FamilySet& f) {
  // Without an answer to Metadata the broker list is the last one seen: each broker's
  // up series says it cannot be reached, but no count or info is made up from it.
  const bool metadata_up = snapshot.collectors.up(CollectorId::kMetadata);
  size_t registered = 0;
  for (const auto& broker : snapshot.brokers) {
    if (broker.registered && metadata_up) {
      ++registered;
      add(f["kafka_broker_info"],
          {std::to_string(broker.id), broker.host + ":" + std::to_string(broker.port),
           broker.rack.value_or("")},
          1);
    }
    add(f["kafka_broker_up"], {std::to_string(broker.id)}, broker.registered && broker.reachable ? 1 : 0,
        broker.id);
    if (broker.fenced)
      add(f["kafka_broker_fenced"], {std::to_string(broker.id)}, *broker.fenced ? 1 : 0, broker.id);
  }
  if (metadata_up) add(f["kafka_brokers"], {}, static_cast<double>(registered));
  if (!snapshot.cluster_id.empty()) add(f["kafka_cluster_info"], {snapshot.cluster_id}, 1);
}

void build_quorum(const ClusterSnapshot& snapshot, FamilySet& f) {
  if (snapshot.metadata_mode) add(f["kafka_cluster_metadata_mode"], {*snapshot.metadata_mode}, 1);
  if (snapshot.metadata_mode == "zookeeper" && snapshot.collectors.up(CollectorId::kMetadata))
    add(f["kafka_cluster_controller"], {}, snapshot.controller_id);
  if (!snapshot.quorum) return;
  const QuorumState& quorum = *snapshot.quorum;
  add(f["kafka_kraft_quorum_leader"], {}, quorum.leader_id);
  add(f["kafka_kraft_quorum_epoch"], {}, quorum.leader_epoch);
  add(f["kafka_kraft_quorum_high_watermark"], {}, static_cast<double>(quorum.high_watermark));
  add(f["kafka_kraft_quorum_voters"], {}, static_cast<double>(quorum.voters.size()));
  add(f["kafka_kraft_quorum_observers"], {}, static_cast<double>(quorum.observers.size()));
  int64_t leader_end = -1;
  for (const auto& voter : quorum.voters) {
    if (voter.id == quorum.leader_id) leader_end = voter.log_end_offset;
  }
  const double now_ms = unix_seconds(snapshot.taken_at) * 1000.0;
  for (const auto& voter : quorum.voters) {
    if (leader_end >= 0 && voter.log_end_offset >= 0) {
      add(f["kafka_kraft_quorum_voter_lag_records"], {std::to_string(voter.id)},
          static_cast<double>(std::max<int64_t>(0, leader_end - voter.log_end_offset)));
    }
    if (voter.last_caught_up_ms && *voter.last_caught_up_ms >= 0) {
      add(f["kafka_kraft_quorum_voter_caught_up_age_seconds"], {std::to_string(voter.id)},
          std::max(0.0, (now_ms - static_cast<double>(*voter.last_caught_up_ms)) / 1000.0));
    }
  }
}

// A node that did not answer has its up series at 0 and no other: nothing is carried over.
void build_zookeeper(const ClusterSnapshot& snapshot, FamilySet& f) {
  if (snapshot.zookeeper.empty()) return;
  add(f["kafka_zookeeper_ensemble_servers"], {}, static_cast<double>(snapshot.zookeeper.size()));
  for (const auto& node : snapshot.zookeeper) {
    add(f["kafka_zookeeper_up"], {node.server}, node.answered ? 1 : 0);
    if (!node.answered) continue;
    add(f["kafka_zookeeper_server_state"], {node.server, node.state}, 1);
    auto put = [&](std::string_view name, const std::optional<double>& value, double scale = 1) {
      if (value) add(f[name], {node.server}, *value * scale);
    };
    put("kafka_zookeeper_outstanding_requests", node.outstanding_requests);
    put("kafka_zookeeper_avg_latency_seconds", node.avg_latency_ms, 0.001);
    put("kafka_zookeeper_znodes", node.znodes);
    put("kafka_zookeeper_alive_connections", node.alive_connections);
    put("kafka_zookeeper_watches", node.watches);
    put("kafka_zookeeper_synced_followers", node.synced_followers);
  }
}

void build_topics(const ClusterSnapshot& snapshot, const DerivedState& derived, const ModelOptions& options,
                  FamilySet& f) {
  size_t partitions = 0, under_replicated = 0, under_min_isr = 0, at_min_isr = 0, offline = 0,
         reassigning = 0;
  const bool reassignments_known = snapshot.collectors.up(CollectorId::kReassignments);
  bool urp_complete = true;
  bool min_isr_complete = true;
  std::set<int32_t> registered;
  for (const auto& broker : snapshot.brokers) {
    if (broker.registered) registered.insert(broker.id);
  }
  if (options.partition_metrics) {
    size_t all = 0;
    for (const auto& topic : snapshot.topics) all += topic.partitions.size();
    f.reserve({"kafka_topic_partition_current_offset", "kafka_topic_partition_oldest_offset",
               "kafka_topic_partition_last_stable_offset", "kafka_topic_partition_leader",
               "kafka_topic_partition_replicas", "kafka_topic_partition_in_sync_replica",
               "kafka_topic_partition_leader_is_preferred",
               "kafka_topic_partition_under_replicated_partition", "kafka_topic_partition_under_min_isr"},
              all);
  }
  for (const auto& topic : snapshot.topics) {
    min_isr_complete = min_isr_complete && topic.min_insync_replicas.has_value();
    add(f["kafka_topic_partitions"], {topic.name}, static_cast<double>(topic.partitions.size()));
    if (topic.min_insync_replicas) {
      add(f["kafka_topic_config_min_insync_replicas"], {topic.name}, *topic.min_insync_replicas);
    }
    if (topic.retention_bytes) {
      add(f["kafka_topic_config_retention_bytes"], {topic.name}, static_cast<double>(*topic.retention_bytes));
    }
    if (topic.retention_ms) {
      add(f["kafka_topic_config_retention_seconds"], {topic.name},
          *topic.retention_ms < 0 ? -1.0 : static_cast<double>(*topic.retention_ms) / 1000.0);
    }
    auto changes = derived.topic_changes.find(topic.name);
    const TopicChangeCounters counters =
        changes != derived.topic_changes.end() ? changes->second : TopicChangeCounters{};
    add(f["kafka_topic_leader_changes_total"], {topic.name}, static_cast<double>(counters.leader_changes));
    add(f["kafka_topic_isr_shrinks_total"], {topic.name}, static_cast<double>(counters.isr_shrinks));
    add(f["kafka_topic_isr_expands_total"], {topic.name}, static_cast<double>(counters.isr_expands));

    for (const auto& p : topic.partitions) {
      ++partitions;
      // Kafka's definitions (kafka-topics, the brokers' gauges): a partition is offline
      // without a live leader; replicas a reassignment is still adding are not missing.
      const bool is_offline = p.leader < 0 || !registered.count(p.leader);
      const size_t adding = std::min(p.adding_replicas.size(), p.replicas.size());
      const size_t replication_factor = p.replicas.size() - adding;
      const bool is_urp = p.isr.size() < replication_factor;
      // Without the reassignments, a short ISR may be a copy in progress: not known.
      const bool urp_known = reassignments_known || p.isr.size() >= p.replicas.size();
      urp_complete = urp_complete && urp_known;
      const bool is_under_min =
          topic.min_insync_replicas && static_cast<int32_t>(p.isr.size()) < *topic.min_insync_replicas;
      const bool is_at_min =
          topic.min_insync_replicas && static_cast<int32_t>(p.isr.size()) == *topic.min_insync_replicas;
      under_replicated += is_urp;
      under_min_isr += is_under_min;
      at_min_isr += is_at_min;
      offline += is_offline;
      const bool is_reassigning = !p.adding_replicas.empty() || !p.removing_replicas.empty();
      reassigning += is_reassigning;
      const std::string partition = std::to_string(p.partition);
      if (is_reassigning) {
        add(f["kafka_topic_partition_reassignment_in_progress"],
            {topic.name, partition, join_ids(p.adding_replicas), join_ids(p.removing_replicas)}, 1);
      }
      if (!is_offline && !options.partition_metrics) continue;  // no per-partition series to label
      const metrics::LabelValues key{topic.name, partition};
      if (is_offline) add(f["kafka_topic_partition_offline"], key, 1);
      if (!options.partition_metrics) continue;
      const int32_t owner = is_offline ? kClusterOwner : p.leader;
      if (p.latest_offset) {
        add(f["kafka_topic_partition_current_offset"], key, static_cast<double>(*p.latest_offset), owner);
      }
      if (p.earliest_offset) {
        add(f["kafka_topic_partition_oldest_offset"], key, static_cast<double>(*p.earliest_offset), owner);
      }
      if (p.last_stable_offset) {
        add(f["kafka_topic_partition_last_stable_offset"], key, static_cast<double>(*p.last_stable_offset),
            owner);
      }
      add(f["kafka_topic_partition_leader"], key, p.leader, owner);
      add(f["kafka_topic_partition_replicas"], key, static_cast<double>(p.replicas.size()), owner);
      add(f["kafka_topic_partition_in_sync_replica"], key, static_cast<double>(p.isr.size()), owner);
      add(f["kafka_topic_partition_leader_is_preferred"], key,
          !p.replicas.empty() && p.replicas.front() == p.leader ? 1 : 0, owner);
      if (urp_known) {
        add(f["kafka_topic_partition_under_replicated_partition"], key, is_urp ? 1 : 0, owner);
      }
      if (topic.min_insync_replicas) {
        add(f["kafka_topic_partition_under_min_isr"], key, is_under_min ? 1 : 0, owner);
      }
    }
  }
  // A count is served only when every partition it counts could be judged.
  if (snapshot.collectors.up(CollectorId::kMetadata)) {
    add(f["kafka_cluster_partitions"], {}, static_cast<double>(partitions));
    add(f["kafka_cluster_offline_partitions"], {}, static_cast<double>(offline));
    if (urp_complete) {
      add(f["kafka_cluster_under_replicated_partitions"], {}, static_cast<double>(under_replicated));
    }
    if (min_isr_complete) {
      add(f["kafka_cluster_under_min_isr_partitions"], {}, static_cast<double>(under_min_isr));
      add(f["kafka_cluster_at_min_isr_partitions"], {}, static_cast<double>(at_min_isr));
    }
    if (reassignments_known) {
      add(f["kafka_cluster_reassigning_partitions"], {}, static_cast<double>(reassigning));
    }
  }
  if (snapshot.topic_configs_read_at) {
    add(f["kafka_sidecar_topic_configs_age_seconds"], {},
        std::max(0.0, unix_seconds(snapshot.taken_at) - unix_seconds(*snapshot.topic_configs_read_at)));
  }
}

void build_log_dirs(const ClusterSnapshot& snapshot, const ModelOptions& options, FamilySet& f) {
  for (const auto& dir : snapshot.log_dirs) {
    const std::string broker = std::to_string(dir.broker);
    add(f["kafka_log_dir_online"], {broker, dir.path}, dir.error_code == 0 ? 1 : 0, dir.broker);
    if (dir.error_code != 0) continue;
    int64_t used = 0;
    for (const auto& replica : dir.replicas) {
      used += replica.size_bytes;
      if (options.partition_metrics && !replica.is_future) {
        add(f["kafka_log_dir_partition_size_bytes"],
            {replica.topic, std::to_string(replica.partition), broker, dir.path},
            static_cast<double>(replica.size_bytes), dir.broker);
      }
    }
    add(f["kafka_log_dir_used_bytes"], {broker, dir.path}, static_cast<double>(used), dir.broker);
    if (dir.total_bytes && *dir.total_bytes >= 0) {
      add(f["kafka_log_dir_total_bytes"], {broker, dir.path}, static_cast<double>(*dir.total_bytes),
          dir.broker);
    }
    if (dir.usable_bytes && *dir.usable_bytes >= 0) {
      add(f["kafka_log_dir_usable_bytes"], {broker, dir.path}, static_cast<double>(*dir.usable_bytes),
          dir.broker);
    }
  }
}

// Share groups: what ShareGroupDescribe and DescribeShareGroupOffsets said, on the group
// coordinator's port. A topic's lag sum only when every partition's lag is known.
void build_share_groups(const ClusterSnapshot& snapshot, const ModelOptions& options, FamilySet& f) {
  for (const auto& group : snapshot.share_groups) {
    const int32_t owner = group.coordinator >= 0 ? group.coordinator : kClusterOwner;
    if (!group.state.empty()) add(f["kafka_sharegroup_state"], {group.group_id, group.state}, 1, owner);
    if (group.described) {
      add(f["kafka_sharegroup_members"], {group.group_id}, static_cast<double>(group.members.size()), owner);
      for (const auto& member : group.members) {
        add(f["kafka_sharegroup_assigned_partitions"],
            {group.group_id, member.member_id, member.client_id, member.client_host},
            static_cast<double>(member.assignment.size()), owner);
      }
    }
    if (!group.offsets_known) continue;
    std::map<std::string, std::optional<double>> sums;
    for (const auto& [tp, partition] : group.partitions) {
      if (options.group_partition_metrics) {
        const metrics::LabelValues key{group.group_id, tp.topic, std::to_string(tp.partition)};
        add(f["kafka_sharegroup_start_offset"], key, static_cast<double>(partition.start_offset), owner);
        if (partition.lag) add(f["kafka_sharegroup_lag"], key, static_cast<double>(*partition.lag), owner);
      }
      auto [sum, first] = sums.try_emplace(tp.topic, 0.0);
      if (!partition.lag) {
        sum->second.reset();
      } else if (sum->second) {
        *sum->second += static_cast<double>(*partition.lag);
      }
    }
    for (const auto& [topic, sum] : sums) {
      if (sum) add(f["kafka_sharegroup_lag_sum"], {group.group_id, topic}, *sum, owner);
    }
  }
}

void build_groups(const ClusterSnapshot& snapshot, const DerivedState& derived, const ModelOptions& options,
                  FamilySet& f) {
  // Log ends by partition, to compute lag against the committed offsets.
  const std::map<TopicPartition, int64_t> log_end = log_ends(snapshot);
  const double now = unix_seconds(snapshot.taken_at);
  if (options.group_partition_metrics) {
    size_t committed = 0;
    for (const auto& group : snapshot.groups) committed += group.committed.size();
    // Not lag in seconds: only lagging partitions have one.
    f.reserve({"kafka_consumergroup_current_offset", "kafka_consumergroup_lag"}, committed);
  }
  for (const auto& group : snapshot.groups) {
    const int32_t owner = group.coordinator >= 0 ? group.coordinator : kClusterOwner;
    if (group.described) {
      add(f["kafka_consumergroup_members"], {group.group_id}, static_cast<double>(group.members.size()),
          owner);
    }
    if (!group.state.empty()) {
      add(f["kafka_consumergroup_state"], {group.group_id, group.state}, 1, owner);
    }
    // The status needs the members (STALLED or STOPPED): without DescribeGroups, none.
    if (auto history = derived.groups.find(group.group_id);
        history != derived.groups.end() && group.described) {
      add(f["kafka_consumergroup_rebalances_total"], {group.group_id},
          static_cast<double>(history->second.rebalances), owner);
      std::optional<ConsumerStatus> worst;
      for (const auto& [tp, window] : history->second.partitions) {
        const auto status = consumer_status(window, !group.members.empty());
        if (!status) continue;
        // Only the partitions in trouble: the cardinality stays with the problems.
        if (options.group_partition_metrics && *status != ConsumerStatus::kOk) {
          add(f["kafka_consumergroup_partition_status"],
              {group.group_id, tp.topic, std::to_string(tp.partition), status_name(*status)}, 1, owner);
        }
        worst = std::max(worst.value_or(ConsumerStatus::kOk), *status);
      }
      if (worst) add(f["kafka_consumergroup_status"], {group.group_id, status_name(*worst)}, 1, owner);
    }
    for (const auto& member : group.members) {
      add(f["kafka_consumergroup_assigned_partitions"],
          {group.group_id, member.member_id, member.client_id, member.client_host},
          static_cast<double>(member.assignment.size()), owner);
    }
    if (!group.offsets_known) continue;
    struct TopicSums {
      double offsets = 0;
      double lag = 0;
      bool has_lag = false;
      bool lag_complete = true;          // every committed partition's log end was read
      bool lag_seconds_complete = true;  // and every lagging one's age is known
      std::optional<double> lag_seconds_max;
    };
    std::map<std::string, TopicSums> sums;
    for (const auto& [tp, committed] : group.committed) {
      const metrics::LabelValues key =
          options.group_partition_metrics
              ? metrics::LabelValues{group.group_id, tp.topic, std::to_string(tp.partition)}
              : metrics::LabelValues{};
      TopicSums& topic_sums = sums[tp.topic];
      topic_sums.offsets += static_cast<double>(committed);
      if (options.group_partition_metrics) {
        add(f["kafka_consumergroup_current_offset"], key, static_cast<double>(committed), owner);
      }
      auto end = log_end.find(tp);
      if (end == log_end.end()) {
        topic_sums.lag_complete = false;
        continue;
      }
      const double lag = static_cast<double>(std::max<int64_t>(0, end->second - committed));
      topic_sums.lag += lag;
      topic_sums.has_lag = true;
      if (options.group_partition_metrics) {
        add(f["kafka_consumergroup_lag"], key, lag, owner);
      }
      std::optional<double> seconds;
      if (committed >= end->second || snapshot.nothing_to_consume.count({tp, committed})) {
        seconds = 0.0;  // caught up
      } else if (auto read = snapshot.record_timestamps.find({tp, committed});
                 read != snapshot.record_timestamps.end()) {
        // The age of the record at the committed offset: the oldest one not consumed.
        seconds = std::max(0.0, now - static_cast<double>(read->second) / 1000.0);
      } else if (auto history = derived.offset_history.find(tp); history != derived.offset_history.end()) {
        seconds = lag_seconds(history->second, committed, end->second, now);
      }
      if (!seconds) {
        topic_sums.lag_seconds_complete = false;
        continue;
      }
      if (options.group_partition_metrics) {
        add(f["kafka_consumergroup_lag_seconds"], key, *seconds, owner);
      }
      topic_sums.lag_seconds_max = std::max(topic_sums.lag_seconds_max.value_or(0), *seconds);
    }
    for (const auto& [topic, topic_sums] : sums) {
      add(f["kafka_consumergroup_current_offset_sum"], {group.group_id, topic}, topic_sums.offsets, owner);
      if (topic_sums.has_lag && topic_sums.lag_complete) {
        add(f["kafka_consumergroup_lag_sum"], {group.group_id, topic}, topic_sums.lag, owner);
      }
      if (topic_sums.lag_seconds_max && topic_sums.lag_complete && topic_sums.lag_seconds_complete) {
        add(f["kafka_consumergroup_lag_seconds_max"], {group.group_id, topic}, *topic_sums.lag_seconds_max,
            owner);
      }
    }
  }
}

void build_transactions(const ClusterSnapshot& snapshot, FamilySet& f) {
  std::map<std::string, size_t> per_state;
  const double now_ms = unix_seconds(snapshot.taken_at) * 1000.0;
  for (const auto& txn : snapshot.transactions) {
    const int32_t owner = txn.coordinator >= 0 ? txn.coordinator : kClusterOwner;
    ++per_state[txn.state];
    const bool open = txn.state == "Ongoing" || txn.state == "PrepareCommit" || txn.state == "PrepareAbort";
    if (open && txn.start_time_ms && *txn.start_time_ms > 0) {
      add(f["kafka_transaction_open_seconds"], {txn.transactional_id},
          std::max(0.0, (now_ms - static_cast<double>(*txn.start_time_ms)) / 1000.0), owner);
      add(f["kafka_transaction_timeout_seconds"], {txn.transactional_id}, txn.timeout_ms / 1000.0, owner);
    }
  }
  // A count per state over all coordinators, on the cluster port: per coordinator, two
  // ports would serve the same series. Without every coordinator's list it is absent.
  if (!snapshot.collectors.up(CollectorId::kTransactions)) return;
  for (const auto& [state, count] : per_state) {
    add(f["kafka_transactions"], {state}, static_cast<double>(count));
  }
}

void build_quotas(const ClusterSnapshot& snapshot, FamilySet& f) {
  for (const auto& quota : snapshot.quotas) {
    std::string entity;
    for (const auto& [type, name] : quota.entity) {
      entity += (entity.empty() ? "" : ",") + type + "=" + name;
    }
    add(f["kafka_quota"], {entity, quota.key}, quota.value);
  }
}

}  // namespace

std::vector<Family> build_cluster_families(const ClusterSnapshot& snapshot, const DerivedState& derived,
                                           const ModelOptions& options) {
  FamilySet families;
  build_brokers(snapshot, families);
  build_quorum(snapshot, families);
  build_zookeeper(snapshot, families);
  build_topics(snapshot, derived, options, families);
  build_log_dirs(snapshot, options, families);
  build_groups(snapshot, derived, options, families);
  build_share_groups(snapshot, options, families);
  build_transactions(snapshot, families);
  build_quotas(snapshot, families);
  return families.take();
}

std::vector<Family> build_exporter_families(const ExporterStats& stats, int32_t owner) {
  FamilySet f;
  add(f["kafka_sidecar_build_info"], {stats.version}, 1, owner);
  add(f["kafka_sidecar_collect_duration_seconds"], {}, stats.last_cycle_seconds, owner);
  add(f["kafka_sidecar_collect_cycles_total"], {"ok"}, static_cast<double>(stats.cycles_ok), owner);
  add(f["kafka_sidecar_collect_cycles_total"], {"partial"}, static_cast<double>(stats.cycles_partial), owner);
  add(f["kafka_sidecar_collect_cycles_total"], {"failed"}, static_cast<double>(stats.cycles_failed), owner);
  if (stats.last_collect_unix) {
    add(f["kafka_sidecar_last_collect_timestamp_seconds"], {}, *stats.last_collect_unix, owner);
  }
  if (stats.last_success_unix) {
    add(f["kafka_sidecar_last_collect_success_timestamp_seconds"], {}, *stats.last_success_unix, owner);
  }
  // In name order, whatever the table's order.
  std::array<CollectorId, kCollectorCount> by_name = kCollectorIds;
  std::sort(by_name.begin(), by_name.end(),
            [](CollectorId a, CollectorId b) { return collector_name(a) < collector_name(b); });
  for (CollectorId id : by_name) {
    const CollectorStatus& status = stats.collectors[id];
    const std::string name(collector_name(id));
    add(f["kafka_sidecar_collector_up"], {name}, status.up ? 1 : 0, owner);
    if (!status.up) add(f["kafka_sidecar_collector_error_info"], {name, status.reason}, 1, owner);
  }
  for (const auto& request : stats.requests) {
    const std::string broker = std::to_string(request.broker);
    add(f["kafka_sidecar_requests_total"], {broker, request.api}, static_cast<double>(request.sent), owner);
    add(f["kafka_sidecar_request_errors_total"], {broker, request.api}, static_cast<double>(request.errors),
        owner);
  }
  add(f["kafka_sidecar_lag_record_reads_total"], {}, static_cast<double>(stats.record_reads.partitions),
      owner);
  add(f["kafka_sidecar_lag_record_read_bytes_total"], {}, static_cast<double>(stats.record_reads.bytes),
      owner);
  for (const auto& [port, series] : stats.series_per_port) {
    add(f["kafka_sidecar_series"], {std::to_string(port)}, static_cast<double>(series), owner);
  }
  for (const auto& response : stats.cost.responses) {
    add(f["kafka_sidecar_response_bytes_total"], {response.api}, static_cast<double>(response.bytes), owner);
    add(f["kafka_sidecar_response_decode_seconds_total"], {response.api}, response.decode_seconds, owner);
  }
  for (const auto& [stage, seconds] : stats.cost.stage_seconds) {
    add(f["kafka_sidecar_cycle_stage_seconds"], {stage}, seconds, owner);
  }
  for (const auto& [port, bytes] : stats.cost.pages) {
    add(f["kafka_sidecar_page_bytes"], {std::to_string(port), "gzip"}, static_cast<double>(bytes.gzip),
        owner);
    add(f["kafka_sidecar_page_bytes"], {std::to_string(port), "identity"}, static_cast<double>(bytes.text),
        owner);
  }
  if (stats.cost.heap) {
    add(f["kafka_sidecar_heap_bytes"], {"free"}, static_cast<double>(stats.cost.heap->free), owner);
    add(f["kafka_sidecar_heap_bytes"], {"in_use"}, static_cast<double>(stats.cost.heap->in_use), owner);
  }
  for (const auto& family : stats.dropped_families) {
    add(f["kafka_sidecar_series_limit_dropped_families"], {family}, 1, owner);
  }
  add(f["kafka_sidecar_credential_reloads_total"], {"failed"},
      static_cast<double>(stats.credential_reloads_failed), owner);
  add(f["kafka_sidecar_credential_reloads_total"], {"ok"}, static_cast<double>(stats.credential_reloads_ok),
      owner);
  return f.take();
}

const std::vector<std::string>& series_limit_drop_order() {
  static const std::vector<std::string> order = {
      "kafka_consumergroup_lag_seconds",
      "kafka_consumergroup_current_offset",
      "kafka_consumergroup_lag",
      "kafka_sharegroup_start_offset",
      "kafka_sharegroup_lag",
      "kafka_log_dir_partition_size_bytes",
      "kafka_topic_partition_leader_is_preferred",
      "kafka_topic_partition_in_sync_replica",
      "kafka_topic_partition_replicas",
      "kafka_topic_partition_leader",
      "kafka_topic_partition_last_stable_offset",
      "kafka_topic_partition_oldest_offset",
      "kafka_topic_partition_under_min_isr",
      "kafka_consumergroup_assigned_partitions",
      "kafka_sharegroup_assigned_partitions",
      "kafka_topic_partition_current_offset",
      "kafka_topic_partition_under_replicated_partition",
  };
  return order;
}

size_t count_series(const std::vector<Family>& families) {
  size_t total = 0;
  for (const auto& family : families) total += family.samples.size();
  return total;
}

std::vector<std::string> apply_series_limit(std::vector<Family>& families, int64_t max_series) {
  std::vector<std::string> dropped;
  if (max_series <= 0) return dropped;
  size_t total = count_series(families);
  for (const auto& name : series_limit_drop_order()) {
    if (total <= static_cast<size_t>(max_series)) break;
    auto it = std::find_if(families.begin(), families.end(),
                           [&](const Family& family) { return family.name == name; });
    if (it == families.end()) continue;
    total -= it->samples.size();
    dropped.push_back(name);
    families.erase(it);
  }
  return dropped;
}

}  // namespace kse::model
