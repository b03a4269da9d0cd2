#include "client_stats/catalogue.h"

namespace kse::client_stats {

using metrics::MetricType;

namespace {
constexpr std::string_view kClient = "cluster port (client-wide)";
constexpr std::string_view kBroker = "the broker described";
constexpr std::string_view kLeader = "the partition's leader";
constexpr std::string_view kWindow =
    " librdkafka's last statistics window (quantiles, _sum and _count of that window, not cumulative).";
}  // namespace

const metrics::Catalogue& catalogue() {
  static const metrics::Catalogue families({
      {"kafka_client_messages_sent_total", MetricType::kCounter, {}, "Messages transmitted (produced) to brokers.", kClient},
      {"kafka_client_message_bytes_sent_total", MetricType::kCounter, {}, "Message bytes (payload and key) transmitted to brokers.", kClient},
      {"kafka_client_messages_received_total", MetricType::kCounter, {}, "Messages consumed from brokers.", kClient},
      {"kafka_client_message_bytes_received_total", MetricType::kCounter, {}, "Message bytes consumed from brokers.", kClient},
      {"kafka_client_requests_sent_total", MetricType::kCounter, {}, "Requests sent to brokers.", kClient},
      {"kafka_client_request_bytes_sent_total", MetricType::kCounter, {}, "Bytes sent to brokers.", kClient},
      {"kafka_client_responses_received_total", MetricType::kCounter, {}, "Responses received from brokers.", kClient},
      {"kafka_client_response_bytes_received_total", MetricType::kCounter, {}, "Bytes received from brokers.", kClient},
      {"kafka_client_queue_messages", MetricType::kGauge, {}, "Messages waiting in the producer queues.", kClient},
      {"kafka_client_queue_bytes", MetricType::kGauge, {}, "Bytes of the messages waiting in the producer queues.", kClient},
      {"kafka_client_queue_max_messages", MetricType::kGauge, {}, "Capacity of the producer queues (queue.buffering.max.messages).", kClient},
      {"kafka_client_reply_queue_events", MetricType::kGauge, {}, "Events waiting to be served by the application's poll.", kClient},
      {"kafka_client_metadata_cache_topics", MetricType::kGauge, {}, "Topics in the client's metadata cache.", kClient},
      {"kafka_client_age_seconds", MetricType::kGauge, {}, "Time since the client was created.", kClient},
      {"kafka_client_broker_up", MetricType::kGauge, {"broker"}, "1 when the client's connection to the broker is UP.", kBroker},
      {"kafka_client_broker_connects_total", MetricType::kCounter, {"broker"}, "Connection attempts to the broker.", kBroker},
      {"kafka_client_broker_disconnects_total", MetricType::kCounter, {"broker"}, "Disconnects from the broker.", kBroker},
      {"kafka_client_broker_requests_sent_total", MetricType::kCounter, {"broker"}, "Requests sent to the broker.", kBroker},
      {"kafka_client_broker_request_errors_total", MetricType::kCounter, {"broker"}, "Transmission errors towards the broker.", kBroker},
      {"kafka_client_broker_request_retries_total", MetricType::kCounter, {"broker"}, "Requests retried towards the broker.", kBroker},
      {"kafka_client_broker_responses_received_total", MetricType::kCounter, {"broker"}, "Responses received from the broker.", kBroker},
      {"kafka_client_broker_response_errors_total", MetricType::kCounter, {"broker"}, "Receive errors from the broker.", kBroker},
      {"kafka_client_broker_request_timeouts_total", MetricType::kCounter, {"broker"}, "Requests to the broker that timed out.", kBroker},
      {"kafka_client_broker_requests_in_flight", MetricType::kGauge, {"broker"}, "Requests sent to the broker and awaiting a response.", kBroker},
      {"kafka_client_broker_outbuf_requests", MetricType::kGauge, {"broker"}, "Requests waiting to be sent to the broker.", kBroker},
      {"kafka_client_broker_rtt_seconds", MetricType::kSummary, {"broker"}, "Round-trip time of requests to the broker, over", kBroker},
      {"kafka_client_broker_throttle_seconds", MetricType::kSummary, {"broker"}, "Throttle time the broker asked for, over", kBroker},
      {"kafka_client_broker_internal_latency_seconds", MetricType::kSummary, {"broker"}, "Time produced messages waited in the client's queue before being sent, over", kBroker},
      {"kafka_client_broker_outbuf_latency_seconds", MetricType::kSummary, {"broker"}, "Time requests waited in the output buffer before being sent, over", kBroker},
      {"kafka_client_topic_batch_size_bytes", MetricType::kSummary, {"topic"}, "Size of the produce batches sent for the topic, over", kClient},
      {"kafka_client_topic_batch_count_messages", MetricType::kSummary, {"topic"}, "Messages per produce batch sent for the topic, over", kClient},
      {"kafka_client_partition_messages_sent_total", MetricType::kCounter, {"topic", "partition"}, "Messages transmitted to the partition.", kLeader},
      {"kafka_client_partition_messages_received_total", MetricType::kCounter, {"topic", "partition"}, "Messages consumed from the partition.", kLeader},
      {"kafka_client_partition_queue_messages", MetricType::kGauge, {"topic", "partition"}, "Messages waiting to be sent to the partition.", kLeader},
      {"kafka_client_partition_consumer_lag", MetricType::kGauge, {"topic", "partition"}, "Consumer lag as the client sees it (high watermark minus its position); absent when unknown.", kLeader},
      {"kafka_client_partition_committed_offset", MetricType::kGauge, {"topic", "partition"}, "Last offset the client committed; absent when none.", kLeader},
      {"kafka_client_partition_fetch_state", MetricType::kGauge, {"topic", "partition", "state"}, "Fetch state of an assigned partition; value is 1.", kLeader},
      {"kafka_client_group_rebalances_total", MetricType::kCounter, {}, "Rebalances the consumer went through.", kClient},
      {"kafka_client_group_rebalance_age_seconds", MetricType::kGauge, {}, "Time since the last rebalance.", kClient},
      {"kafka_client_group_assignment_partitions", MetricType::kGauge, {}, "Partitions assigned to the consumer.", kClient},
      {"kafka_client_group_state", MetricType::kGauge, {"state", "join_state"}, "Consumer group state as the client sees it; value is 1.", kClient},
      {"kafka_client_transaction_state", MetricType::kGauge, {"idemp_state", "txn_state"}, "Idempotence and transaction state of the producer; value is 1.", kClient},
      {"kafka_client_producer_id", MetricType::kGauge, {}, "Producer id of an idempotent or transactional producer.", kClient},
      {"kafka_client_producer_epoch", MetricType::kGauge, {}, "Producer epoch of an idempotent or transactional producer.", kClient},
      {"kafka_client_stats_documents_total", MetricType::kCounter, {}, "Statistics documents received from librdkafka.", kClient},
      {"kafka_client_stats_parse_errors_total", MetricType::kCounter, {}, "Statistics documents rejected as malformed (the last good values are kept).", kClient},
  }, {"client_id", "client_type"}, kWindow);
  return families;
}

std::string catalogue_markdown() { return catalogue().markdown("family"); }

}  // namespace kse::client_stats
