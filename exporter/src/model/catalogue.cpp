#include "model/catalogue.h"

#include <string>

namespace kse::model {

using metrics::MetricType;

namespace {
constexpr std::string_view kLeader = "partition leader";
constexpr std::string_view kCluster = "cluster port";
constexpr std::string_view kCoordinator = "group coordinator";
constexpr std::string_view kTxnCoordinator = "transaction coordinator";
constexpr std::string_view kReplicaHolder = "broker holding the replica";
constexpr std::string_view kBroker = "the broker itself";
constexpr std::string_view kExporter = "cluster port (sidecar: own port)";
constexpr std::string_view kMeasured = "the broker measured";
}  // namespace

const metrics::Catalogue& catalogue() {
  static const metrics::Catalogue families({
      // Brokers and cluster
      {"kafka_brokers", MetricType::kGauge, {}, "Number of brokers in the cluster metadata.",
       kCluster, "model"},
      {"kafka_broker_info", MetricType::kGauge, {"id", "address", "rack"},
       "Broker facts from metadata; value is 1.", kCluster, "model"},
      {"kafka_broker_fenced", MetricType::kGauge, {"broker"},
       "1 if the broker is registered but fenced (stopped, or lost its controller session: down, not gone), "
       "0 if registered and unfenced; absent where the cluster cannot say (DescribeCluster before v2, Kafka 4.0, lists no fenced broker).",
       kBroker, "DescribeCluster"},
      {"kafka_broker_up", MetricType::kGauge, {"broker"},
       "1 if the broker is in the metadata and answered this cycle, 0 if it left or cannot be "
       "reached.",
       kBroker, "model"},
      {"kafka_cluster_info", MetricType::kGauge, {"cluster_id"},
       "Cluster id from metadata; value is 1.", kCluster, "model"},
      {"kafka_cluster_partitions", MetricType::kGauge, {}, "Number of partitions in the cluster.",
       kCluster, "model"},
      {"kafka_cluster_under_replicated_partitions", MetricType::kGauge, {},
       "Partitions whose ISR is smaller than their replica set, leaving out replicas a "
       "reassignment is still adding (Kafka's definition).", kCluster, "model"},
      {"kafka_cluster_under_min_isr_partitions", MetricType::kGauge, {},
       "Partitions whose ISR is smaller than the topic's min.insync.replicas.", kCluster, "model"},
      {"kafka_cluster_at_min_isr_partitions", MetricType::kGauge, {},
       "Partitions whose ISR is exactly the topic's min.insync.replicas: one more loss stops "
       "acks=all producers.", kCluster, "model"},
      {"kafka_cluster_offline_partitions", MetricType::kGauge, {},
       "Partitions without a live leader.", kCluster, "model"},
      {"kafka_cluster_reassigning_partitions", MetricType::kGauge, {},
       "Partitions with a reassignment in progress.", kCluster, "model"},
      // KRaft quorum
      {"kafka_kraft_quorum_leader", MetricType::kGauge, {},
       "Node id of the KRaft quorum leader (the active controller).", kCluster, "model"},
      {"kafka_kraft_quorum_epoch", MetricType::kGauge, {}, "Leader epoch of the KRaft quorum.",
       kCluster, "model"},
      {"kafka_kraft_quorum_high_watermark", MetricType::kGauge, {},
       "High watermark of the __cluster_metadata log.", kCluster, "model"},
      {"kafka_kraft_quorum_voters", MetricType::kGauge, {}, "Number of voters in the quorum.",
       kCluster, "model"},
      {"kafka_kraft_quorum_observers", MetricType::kGauge, {},
       "Number of observers of the quorum.", kCluster, "model"},
      {"kafka_kraft_quorum_voter_lag_records", MetricType::kGauge, {"voter"},
       "Records the voter's metadata log is behind the leader's log end.", kCluster, "model"},
      {"kafka_kraft_quorum_voter_caught_up_age_seconds", MetricType::kGauge, {"voter"},
       "Seconds since the voter was last caught up with the leader.", kCluster, "model"},
      // Topics
      {"kafka_topic_partitions", MetricType::kGauge, {"topic"}, "Number of partitions of the topic.",
       kCluster, "model"},
      {"kafka_topic_config_min_insync_replicas", MetricType::kGauge, {"topic"},
       "The topic's effective min.insync.replicas.", kCluster, "model"},
      {"kafka_topic_config_retention_bytes", MetricType::kGauge, {"topic"},
       "The topic's effective retention.bytes (-1: unlimited).", kCluster, "model"},
      {"kafka_topic_config_retention_seconds", MetricType::kGauge, {"topic"},
       "The topic's effective retention.ms in seconds (-1: unlimited).", kCluster, "model"},
      {"kafka_sidecar_topic_configs_age_seconds", MetricType::kGauge, {},
       "Age of the oldest topic config served: configs are kept from the last good read for up "
       "to 10 minutes while DescribeConfigs fails, then left out.", kCluster, "model"},
      {"kafka_topic_leader_changes_total", MetricType::kCounter, {"topic"},
       "Leader changes of the topic's partitions seen between collection cycles.", kCluster,
       "model"},
      {"kafka_topic_isr_shrinks_total", MetricType::kCounter, {"topic"},
       "Replicas removed from the ISR of the topic's partitions between collection cycles.",
       kCluster, "model"},
      {"kafka_topic_isr_expands_total", MetricType::kCounter, {"topic"},
       "Replicas added to the ISR of the topic's partitions between collection cycles.", kCluster,
       "model"},
      // Partitions
      {"kafka_topic_partition_current_offset", MetricType::kGauge, {"topic", "partition"},
       "Log-end offset (high watermark) of the partition.", kLeader, "model"},
      {"kafka_topic_partition_oldest_offset", MetricType::kGauge, {"topic", "partition"},
       "Earliest offset still in the partition's log.", kLeader, "model"},
      {"kafka_topic_partition_last_stable_offset", MetricType::kGauge, {"topic", "partition"},
       "Last stable offset (what read_committed consumers can read up to).", kLeader, "model"},
      {"kafka_topic_partition_leader", MetricType::kGauge, {"topic", "partition"},
       "Broker id of the partition leader (-1: offline).", kLeader, "model"},
      {"kafka_topic_partition_replicas", MetricType::kGauge, {"topic", "partition"},
       "Number of replicas of the partition.", kLeader, "model"},
      {"kafka_topic_partition_in_sync_replica", MetricType::kGauge, {"topic", "partition"},
       "Number of in-sync replicas of the partition.", kLeader, "model"},
      {"kafka_topic_partition_leader_is_preferred", MetricType::kGauge, {"topic", "partition"},
       "1 if the leader is the preferred (first) replica.", kLeader, "model"},
      {"kafka_topic_partition_under_replicated_partition", MetricType::kGauge,
       {"topic", "partition"},
       "1 if the partition's ISR is smaller than its replica set, leaving out replicas a "
       "reassignment is still adding.", kLeader, "model"},
      {"kafka_topic_partition_under_min_isr", MetricType::kGauge, {"topic", "partition"},
       "1 if the partition's ISR is smaller than min.insync.replicas (acks=all writes fail).",
       kLeader, "model"},
      {"kafka_topic_partition_offline", MetricType::kGauge, {"topic", "partition"},
       "1 if the partition has no leader.", kCluster, "model"},
      {"kafka_topic_partition_reassignment_in_progress", MetricType::kGauge,
       {"topic", "partition", "adding", "removing"},
       "1 while the partition is being reassigned; labels list replicas being added and removed.",
       kCluster, "model"},
      // Log dirs
      {"kafka_log_dir_partition_size_bytes", MetricType::kGauge,
       {"topic", "partition", "broker", "log_dir"}, "Size on disk of the replica's log.",
       kReplicaHolder, "model"},
      {"kafka_log_dir_used_bytes", MetricType::kGauge, {"broker", "log_dir"},
       "Sum of the sizes of the replicas in the log dir.", kReplicaHolder, "model"},
      {"kafka_log_dir_total_bytes", MetricType::kGauge, {"broker", "log_dir"},
       "Capacity of the volume holding the log dir.", kReplicaHolder, "model"},
      {"kafka_log_dir_usable_bytes", MetricType::kGauge, {"broker", "log_dir"},
       "Free bytes usable on the volume holding the log dir.", kReplicaHolder, "model"},
      {"kafka_log_dir_online", MetricType::kGauge, {"broker", "log_dir"},
       "1 if the log dir is online, 0 if the broker reports it offline.", kReplicaHolder, "model"},
      // Consumer groups
      {"kafka_consumergroup_current_offset", MetricType::kGauge,
       {"consumergroup", "topic", "partition"}, "Committed offset of the group for the partition.",
       kCoordinator, "model"},
      {"kafka_consumergroup_current_offset_sum", MetricType::kGauge, {"consumergroup", "topic"},
       "Sum of the group's committed offsets over the topic's partitions.", kCoordinator, "model"},
      {"kafka_consumergroup_lag", MetricType::kGauge, {"consumergroup", "topic", "partition"},
       "Records between the group's committed offset and the log end (never negative; absent "
       "without a committed offset).",
       kCoordinator, "model"},
      {"kafka_consumergroup_lag_sum", MetricType::kGauge, {"consumergroup", "topic"},
       "Sum of the group's lag over the topic's partitions with a committed offset.", kCoordinator,
       "model"},
      {"kafka_consumergroup_lag_seconds", MetricType::kGauge,
       {"consumergroup", "topic", "partition"},
       "Age of the oldest unconsumed record: now minus the timestamp of the record at the committed offset.",
       kCoordinator, "model"},
      {"kafka_consumergroup_lag_seconds_max", MetricType::kGauge, {"consumergroup", "topic"},
       "Largest lag in seconds over the topic's partitions.", kCoordinator, "model"},
      {"kafka_consumergroup_members", MetricType::kGauge, {"consumergroup"},
       "Number of members in the group.", kCoordinator, "model"},
      {"kafka_consumergroup_assigned_partitions", MetricType::kGauge,
       {"consumergroup", "member_id", "client_id", "host"},
       "Partitions assigned to the member.", kCoordinator, "model"},
      {"kafka_consumergroup_state", MetricType::kGauge, {"consumergroup", "state"},
       "1 for the group's current state (Stable, Empty, PreparingRebalance, "
       "CompletingRebalance, Dead, Assigning, Reconciling...).",
       kCoordinator, "model"},
      {"kafka_consumergroup_status", MetricType::kGauge, {"consumergroup", "status"},
       "1 for the group's worst partition status over the last cycles, judged as Burrow does: "
       "OK, WARNING (lag grows at every cycle), REWIND, STALLED (members, offset not moving), "
       "STOPPED (no members, offset not moving).",
       kCoordinator, "model"},
      {"kafka_consumergroup_partition_status", MetricType::kGauge,
       {"consumergroup", "topic", "partition", "status"},
       "1 for the status of the group on a partition that is not OK over the last cycles (as "
       "kafka_consumergroup_status); OK partitions have no series.",
       kCoordinator, "model"},
      {"kafka_consumergroup_rebalances_total", MetricType::kCounter, {"consumergroup"},
       "Rebalances seen between cycles since the exporter started: the group entered a "
       "rebalancing state or its members changed.",
       kCoordinator, "model"},
      // Transactions
      {"kafka_transactions", MetricType::kGauge, {"state"},
       "Transactional ids per state, over every transaction coordinator.", kCluster, "model"},
      {"kafka_transaction_open_seconds", MetricType::kGauge, {"transactional_id"},
       "Age of an open (Ongoing / Prepare*) transaction.", kTxnCoordinator, "model"},
      {"kafka_transaction_timeout_seconds", MetricType::kGauge, {"transactional_id"},
       "Timeout of an open transaction; open longer than this means hanging.", kTxnCoordinator,
       "model"},
      // Quotas
      {"kafka_quota", MetricType::kGauge, {"entity", "key"},
       "A configured client quota (entity like user=alice,client-id=<default>).", kCluster,
       "model"},
      // The exporter itself
      {"kafka_sidecar_build_info", MetricType::kGauge, {"version"},
       "The exporter's version; value is 1.", kExporter, "model"},
      {"kafka_sidecar_collect_duration_seconds", MetricType::kGauge, {},
       "Wall time of the last collection cycle.", kExporter, "model"},
      {"kafka_sidecar_collect_cycles_total", MetricType::kCounter, {"result"},
       "Collection cycles by result (ok, partial, failed).", kExporter, "model"},
      {"kafka_sidecar_last_collect_timestamp_seconds", MetricType::kGauge, {},
       "Unix time the last cycle ended.", kExporter, "model"},
      {"kafka_sidecar_last_collect_success_timestamp_seconds", MetricType::kGauge, {},
       "Unix time the last complete cycle ended.", kExporter, "model"},
      {"kafka_sidecar_collector_up", MetricType::kGauge, {"collector"},
       "1 if that part of the collection worked in the last cycle.", kExporter, "model"},
      {"kafka_sidecar_collector_error_info", MetricType::kGauge, {"collector", "reason"},
       "1 for a collector that failed in the last cycle, with why: Kafka's error name (e.g. "
       "TOPIC_AUTHORIZATION_FAILED) or how a request failed (timeout, connection, authentication, protocol, "
       "unsupported_version).", kExporter, "model"},
      {"kafka_sidecar_requests_total", MetricType::kCounter, {"broker", "api"},
       "Kafka requests sent by the exporter.", kExporter, "model"},
      {"kafka_sidecar_request_errors_total", MetricType::kCounter, {"broker", "api"},
       "Kafka requests that failed or timed out.", kExporter, "model"},
      {"kafka_sidecar_series", MetricType::kGauge, {"port"},
       "Series served on each port after the last render.", kExporter, "model"},
      {"kafka_sidecar_series_limit_dropped_families", MetricType::kGauge, {"family"},
       "1 for each family left out because limits.max_series was reached.", kExporter, "model"},
      // End-to-end probe: the broker measured leads the probe partition (commits: the coordinator).
      {"kafka_probe_up", MetricType::kGauge, {"broker"},
       "1 if a probe message through this broker was produced, acknowledged and consumed within "
       "the last two probe intervals; 0 otherwise (its latency series are then left out).",
       kMeasured, "probe"},
      {"kafka_probe_produce_latency_seconds", MetricType::kHistogram, {"broker"},
       "Time from producing a probe message to its acknowledgement (acks=all).", kMeasured, "probe"},
      {"kafka_probe_end_to_end_latency_seconds", MetricType::kHistogram, {"broker"},
       "Time from producing a probe message to consuming it.", kMeasured, "probe"},
      {"kafka_probe_commit_latency_seconds", MetricType::kHistogram, {"broker"},
       "Time to commit the probe consumer's offsets; broker is the group coordinator.", kMeasured,
       "probe"},
      {"kafka_probe_messages_sent_total", MetricType::kCounter, {"broker"},
       "Probe messages acknowledged by the broker.", kMeasured, "probe"},
      {"kafka_probe_messages_received_total", MetricType::kCounter, {"broker"},
       "Probe messages consumed back.", kMeasured, "probe"},
      {"kafka_probe_messages_lost_total", MetricType::kCounter, {"broker"},
       "Acknowledged probe messages not consumed within the loss timeout.", kMeasured, "probe"},
      {"kafka_probe_messages_duplicated_total", MetricType::kCounter, {"broker"},
       "Probe messages consumed more than once.", kMeasured, "probe"},
      {"kafka_probe_messages_out_of_order_total", MetricType::kCounter, {"broker"},
       "Probe messages consumed after a later message of the same partition.", kMeasured, "probe"},
      {"kafka_probe_errors_total", MetricType::kCounter, {"broker", "stage"},
       "Probe failures by stage: produce (delivery failed or timed out), commit.", kMeasured,
       "probe"},
      {"kafka_probe_last_success_timestamp_seconds", MetricType::kGauge, {"broker"},
       "Unix time of the last probe message consumed back through this broker.", kMeasured,
       "probe"},
  });
  return families;
}

const FamilySpec& spec(std::string_view name) { return catalogue().spec(name); }

metrics::Family make_family(std::string_view name) { return catalogue().make_family(name); }

std::string catalogue_markdown() { return catalogue().markdown("name"); }

}  // namespace kse::model
