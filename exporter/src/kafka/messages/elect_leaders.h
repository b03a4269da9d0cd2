#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

// The one write the exporter makes: a preferred leader election on the probe
// topic, so every broker leads a probe partition again after a restart.
namespace kse::kafka {

struct ElectLeadersResponse {
  struct PartitionResult {
    int32_t partition_id = 0;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
  };
  struct TopicResult {
    std::string topic;
    std::vector<PartitionResult> partitions;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<TopicResult> results;

  static ElectLeadersResponse decode(Reader& r, int16_t version) {
    const bool flexible = version >= 2;
    ElectLeadersResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    if (version >= 1) out.error_code = r.field("ErrorCode").int16();
    out.results = read_array<TopicResult>(r.field("ReplicaElectionResults"), flexible, 3, [flexible](Reader& in) {
      TopicResult t;
      t.topic = in.field("ReplicaElectionResults.Topic").string(flexible);
      t.partitions = read_array<PartitionResult>(
          in.field("ReplicaElectionResults.PartitionResult"), flexible, 8, [flexible](Reader& p) {
            PartitionResult part;
            part.partition_id = p.field("PartitionResult.PartitionId").int32();
            part.error_code = p.field("PartitionResult.ErrorCode").int16();
            part.error_message = p.field("PartitionResult.ErrorMessage").nullable_string(flexible);
            if (flexible) p.skip_tags();
            return part;
          });
      if (flexible) in.skip_tags();
      return t;
    });
    if (flexible) r.skip_tags();
    return out;
  }
};

struct ElectLeadersRequest {
  static constexpr int16_t kApiKey = 43;
  static constexpr int16_t kMinVersion = 1;  // v0 has no election type
  static constexpr int16_t kMaxVersion = 2;
  static constexpr int16_t kFirstFlexibleVersion = 2;
  static constexpr const char* kName = "ElectLeaders";
  // Brokers only forward it to the active KRaft controller (KafkaClient::send_any).
  static constexpr bool kForwardedToController = true;
  using Response = ElectLeadersResponse;

  static constexpr int8_t kPreferred = 0;
  struct Topic {
    std::string topic;
    std::vector<int32_t> partitions;
  };
  int8_t election_type = kPreferred;
  std::vector<Topic> topic_partitions;
  int32_t timeout_ms = 10000;

  void encode(Writer& w, int16_t version) const {
    const bool flexible = version >= 2;
    w.int8(election_type);
    w.array_length(topic_partitions.size(), flexible);
    for (const auto& t : topic_partitions) {
      w.string(t.topic, flexible);
      write_int32_array(w, t.partitions, flexible);
      if (flexible) w.tags();
    }
    w.int32(timeout_ms);
    if (flexible) w.tags();
  }
};

}  // namespace kse::kafka
