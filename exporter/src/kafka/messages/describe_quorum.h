#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct DescribeQuorumResponse {
  struct ReplicaState {
    int32_t replica_id = -1;
    Uuid replica_directory_id{};
    int64_t log_end_offset = -1;
    int64_t last_fetch_timestamp = -1;
    int64_t last_caught_up_timestamp = -1;
  };
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int32_t leader_id = -1;
    int32_t leader_epoch = -1;
    int64_t high_watermark = -1;
    std::vector<ReplicaState> current_voters;
    std::vector<ReplicaState> observers;
  };
  struct Topic {
    std::string topic_name;
    std::vector<Partition> partitions;
  };
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::vector<Topic> topics;

  static DescribeQuorumResponse decode(Reader& r, int16_t version) {
    auto replica = [version](Reader& in) {
      ReplicaState s;
      s.replica_id = in.field("ReplicaState.ReplicaId").int32();
      if (version >= 2) s.replica_directory_id = in.field("ReplicaState.ReplicaDirectoryId").uuid();
      s.log_end_offset = in.field("ReplicaState.LogEndOffset").int64();
      if (version >= 1) {
        s.last_fetch_timestamp = in.field("ReplicaState.LastFetchTimestamp").int64();
        s.last_caught_up_timestamp = in.field("ReplicaState.LastCaughtUpTimestamp").int64();
      }
      in.skip_tags();
      return s;
    };
    DescribeQuorumResponse out;
    out.error_code = r.field("ErrorCode").int16();
    if (version >= 2) out.error_message = r.field("ErrorMessage").nullable_string(true);
    out.topics = read_array<Topic>(r.field("Topics"), true, 3, [&](Reader& in) {
      Topic t;
      t.topic_name = in.field("Topics.TopicName").string(true);
      t.partitions = read_array<Partition>(in.field("Topics.Partitions"), true, 23, [&](Reader& p) {
        Partition part;
        part.partition_index = p.field("Topics.Partitions.PartitionIndex").int32();
        part.error_code = p.field("Topics.Partitions.ErrorCode").int16();
        if (version >= 2) part.error_message = p.field("Topics.Partitions.ErrorMessage").nullable_string(true);
        part.leader_id = p.field("Topics.Partitions.LeaderId").int32();
        part.leader_epoch = p.field("Topics.Partitions.LeaderEpoch").int32();
        part.high_watermark = p.field("Topics.Partitions.HighWatermark").int64();
        part.current_voters = read_array<ReplicaState>(p.field("Topics.Partitions.CurrentVoters"), true, 13, replica);
        part.observers = read_array<ReplicaState>(p.field("Topics.Partitions.Observers"), true, 13, replica);
        p.skip_tags();
        return part;
      });
      in.skip_tags();
      return t;
    });
    if (version >= 2) {
      // Nodes and their listeners (KIP-853): read past them.
      read_array<int32_t>(r.field("Nodes"), true, 6, [](Reader& n) {
        const int32_t id = n.field("Nodes.NodeId").int32();
        read_array<int32_t>(n.field("Nodes.Listeners"), true, 5, [](Reader& l) {
          l.field("Nodes.Listeners.Name").string(true);
          l.field("Nodes.Listeners.Host").string(true);
          l.field("Nodes.Listeners.Port").uint16();
          l.skip_tags();
          return 0;
        });
        n.skip_tags();
        return id;
      });
    }
    r.skip_tags();
    return out;
  }
};

struct DescribeQuorumRequestPartition {
  int32_t partition_index = 0;
};

struct DescribeQuorumRequestTopic {
  std::string topic_name;
  std::vector<DescribeQuorumRequestPartition> partitions;
};

// Any broker forwards it to the active controller.
struct DescribeQuorumRequest {
  static constexpr int16_t kApiKey = 55;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static constexpr int16_t kFirstFlexibleVersion = 0;
  static constexpr const char* kName = "DescribeQuorum";
  // Brokers only forward it to the active KRaft controller (KafkaClient::send_any).
  static constexpr bool kForwardedToController = true;
  using Response = DescribeQuorumResponse;

  std::vector<DescribeQuorumRequestTopic> topics;

  void encode(Writer& w, int16_t) const {
    w.array_length(topics.size(), true);
    for (const auto& t : topics) {
      w.string(t.topic_name, true);
      w.array_length(t.partitions.size(), true);
      for (const auto& p : t.partitions) {
        w.int32(p.partition_index);
        w.tags();
      }
      w.tags();
    }
    w.tags();
  }
};

}  // namespace kse::kafka
