#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct MetadataResponse {
  struct Broker {
    int32_t node_id = -1;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
  };
  struct Partition {
    int16_t error_code = 0;
    int32_t partition_index = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = -1;
    BrokerIds replica_nodes;
    BrokerIds isr_nodes;
    BrokerIds offline_replicas;
  };
  struct Topic {
    int16_t error_code = 0;
    std::optional<std::string> name;
    Uuid topic_id{};
    bool is_internal = false;
    std::vector<Partition> partitions;
    int32_t topic_authorized_operations = INT32_MIN;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::vector<Topic> topics;

  static MetadataResponse decode(Reader& r, int16_t version) {
    const bool f = true;  // versions 9+ are all flexible
    MetadataResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.brokers = read_array<Broker>(r.field("Brokers"), f, 10, [&](Reader& in) {
      Broker b;
      b.node_id = in.field("Brokers.NodeId").int32();
      b.host = in.field("Brokers.Host").string(f);
      b.port = in.field("Brokers.Port").int32();
      b.rack = in.field("Brokers.Rack").nullable_string(f);
      in.skip_tags();
      return b;
    });
    out.cluster_id = r.field("ClusterId").nullable_string(f);
    out.controller_id = r.field("ControllerId").int32();
    out.topics = read_array<Topic>(r.field("Topics"), f, 8, [&](Reader& in) {
      Topic t;
      t.error_code = in.field("Topics.ErrorCode").int16();
      t.name = in.field("Topics.Name").nullable_string(f);
      if (version >= 10) t.topic_id = in.field("Topics.TopicId").uuid();
      t.is_internal = in.field("Topics.IsInternal").boolean();
      t.partitions = read_array_in_place<Partition>(in.field("Topics.Partitions"), f, 18, [&](Reader& p, Partition& part) {
        part.error_code = p.field("Topics.Partitions.ErrorCode").int16();
        part.partition_index = p.field("Topics.Partitions.PartitionIndex").int32();
        part.leader_id = p.field("Topics.Partitions.LeaderId").int32();
        part.leader_epoch = p.field("Topics.Partitions.LeaderEpoch").int32();
        read_broker_ids(p.field("Topics.Partitions.ReplicaNodes"), f, part.replica_nodes);
        read_broker_ids(p.field("Topics.Partitions.IsrNodes"), f, part.isr_nodes);
        read_broker_ids(p.field("Topics.Partitions.OfflineReplicas"), f, part.offline_replicas);
        p.skip_tags();
      });
      t.topic_authorized_operations = in.field("Topics.TopicAuthorizedOperations").int32();
      in.skip_tags();
      return t;
    });
    if (version <= 10) r.field("ClusterAuthorizedOperations").int32();
    r.skip_tags();
    return out;
  }
};

struct MetadataRequest {
  static constexpr int16_t kApiKey = 3;
  static constexpr int16_t kMinVersion = 9;
  static constexpr int16_t kMaxVersion = 12;
  static constexpr int16_t kFirstFlexibleVersion = 9;
  static constexpr const char* kName = "Metadata";
  using Response = MetadataResponse;

  std::optional<std::vector<std::string>> topics;  // nullopt = every topic
  bool allow_auto_topic_creation = false;

  void encode(Writer& w, int16_t version) const {
    if (!topics) {
      w.null_array(true);
    } else {
      w.array_length(topics->size(), true);
      for (const auto& name : *topics) {
        if (version >= 10) w.uuid(Uuid{});
        w.string(name, true);
        w.tags();
      }
    }
    w.boolean(allow_auto_topic_creation);
    if (version <= 10) w.boolean(false);  // IncludeClusterAuthorizedOperations
    w.boolean(false);                     // IncludeTopicAuthorizedOperations
    w.tags();
  }
};

}  // namespace kse::kafka
