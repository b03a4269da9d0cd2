#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct ListPartitionReassignmentsResponse {
  struct Partition {
    int32_t partition_index = 0;
    std::vector<int32_t> replicas;
    std::vector<int32_t> adding_replicas;
    std::vector<int32_t> removing_replicas;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::vector<Topic> topics;

  static ListPartitionReassignmentsResponse decode(Reader& r, int16_t) {
    ListPartitionReassignmentsResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.error_code = r.field("ErrorCode").int16();
    out.error_message = r.field("ErrorMessage").nullable_string(true);
    out.topics = read_array<Topic>(r.field("Topics"), true, 3, [](Reader& in) {
      Topic t;
      t.name = in.field("Topics.Name").string(true);
      t.partitions = read_array<Partition>(in.field("Topics.Partitions"), true, 8, [](Reader& p) {
        Partition part;
        part.partition_index = p.field("Topics.Partitions.PartitionIndex").int32();
        part.replicas = read_int32_array(p.field("Topics.Partitions.Replicas"), true);
        part.adding_replicas = read_int32_array(p.field("Topics.Partitions.AddingReplicas"), true);
        part.removing_replicas = read_int32_array(p.field("Topics.Partitions.RemovingReplicas"), true);
        p.skip_tags();
        return part;
      });
      in.skip_tags();
      return t;
    });
    r.skip_tags();
    return out;
  }
};

struct ListPartitionReassignmentsRequest {
  static constexpr int16_t kApiKey = 46;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;
  static constexpr int16_t kFirstFlexibleVersion = 0;
  static constexpr const char* kName = "ListPartitionReassignments";
  // Brokers only forward it to the active KRaft controller (KafkaClient::send_any).
  static constexpr bool kForwardedToController = true;
  using Response = ListPartitionReassignmentsResponse;

  struct Topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
  };
  int32_t timeout_ms = 60000;
  std::optional<std::vector<Topic>> topics;  // nullopt = all reassignments

  void encode(Writer& w, int16_t) const {
    w.int32(timeout_ms);
    if (!topics) {
      w.null_array(true);
    } else {
      w.array_length(topics->size(), true);
      for (const auto& t : *topics) {
        w.string(t.name, true);
        write_int32_array(w, t.partition_indexes, true);
        w.tags();
      }
    }
    w.tags();
  }
};

}  // namespace kse::kafka
