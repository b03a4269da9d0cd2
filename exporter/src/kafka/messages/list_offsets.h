#pragma once

#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct ListOffsetsResponse {
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t timestamp = -1;
    int64_t offset = -1;
    int32_t leader_epoch = -1;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  static ListOffsetsResponse decode(Reader& r, int16_t) {
    ListOffsetsResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.topics = read_array<Topic>(r.field("Topics"), true, 3, [](Reader& in) {
      Topic t;
      t.name = in.field("Topics.Name").string(true);
      t.partitions = read_array<Partition>(in.field("Topics.Partitions"), true, 27, [](Reader& p) {
        Partition part;
        part.partition_index = p.field("Topics.Partitions.PartitionIndex").int32();
        part.error_code = p.field("Topics.Partitions.ErrorCode").int16();
        part.timestamp = p.field("Topics.Partitions.Timestamp").int64();
        part.offset = p.field("Topics.Partitions.Offset").int64();
        part.leader_epoch = p.field("Topics.Partitions.LeaderEpoch").int32();
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

struct ListOffsetsRequestPartition {
  int32_t partition_index = 0;
  int32_t current_leader_epoch = -1;
  int64_t timestamp = -1;  // -1 latest, -2 earliest, -3 max timestamp, else a time in ms
};

struct ListOffsetsRequestTopic {
  std::string name;
  std::vector<ListOffsetsRequestPartition> partitions;
};

struct ListOffsetsRequest {
  static constexpr int16_t kApiKey = 2;
  static constexpr int16_t kMinVersion = 6;
  static constexpr int16_t kMaxVersion = 9;
  static constexpr int16_t kFirstFlexibleVersion = 6;
  static constexpr const char* kName = "ListOffsets";
  using Response = ListOffsetsResponse;
  static constexpr int64_t kLatest = -1;
  static constexpr int64_t kEarliest = -2;

  int32_t replica_id = -1;
  int8_t isolation_level = 0;  // 0 read_uncommitted, 1 read_committed (last stable offset)
  std::vector<ListOffsetsRequestTopic> topics;

  void encode(Writer& w, int16_t) const {
    w.int32(replica_id);
    w.int8(isolation_level);
    w.array_length(topics.size(), true);
    for (const auto& topic : topics) {
      w.string(topic.name, true);
      w.array_length(topic.partitions.size(), true);
      for (const auto& p : topic.partitions) {
        w.int32(p.partition_index);
        w.int32(p.current_leader_epoch);
        w.int64(p.timestamp);
        w.tags();
      }
      w.tags();
    }
    w.tags();
  }
};

}  // namespace kse::kafka
