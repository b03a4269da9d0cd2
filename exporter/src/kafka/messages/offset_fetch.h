#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct OffsetFetchResponse {
  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;
    std::optional<std::string> metadata;
    int16_t error_code = 0;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  struct Group {
    std::string group_id;
    std::vector<Topic> topics;
    int16_t error_code = 0;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Group> groups;

  static OffsetFetchResponse decode(Reader& r, int16_t) {
    OffsetFetchResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.groups = read_array<Group>(r.field("Groups"), true, 4, [](Reader& in) {
      Group g;
      g.group_id = in.field("Groups.GroupId").string(true);
      g.topics = read_array<Topic>(in.field("Groups.Topics"), true, 3, [](Reader& t) {
        Topic topic;
        topic.name = t.field("Groups.Topics.Name").string(true);
        topic.partitions = read_array<Partition>(t.field("Groups.Topics.Partitions"), true, 20, [](Reader& p) {
          Partition part;
          part.partition_index = p.field("Groups.Topics.Partitions.PartitionIndex").int32();
          part.committed_offset = p.field("Groups.Topics.Partitions.CommittedOffset").int64();
          part.committed_leader_epoch = p.field("Groups.Topics.Partitions.CommittedLeaderEpoch").int32();
          part.metadata = p.field("Groups.Topics.Partitions.Metadata").nullable_string(true);
          part.error_code = p.field("Groups.Topics.Partitions.ErrorCode").int16();
          p.skip_tags();
          return part;
        });
        t.skip_tags();
        return topic;
      });
      g.error_code = in.field("Groups.ErrorCode").int16();
      in.skip_tags();
      return g;
    });
    r.skip_tags();
    return out;
  }
};

struct OffsetFetchRequestTopic {
  std::string name;
  std::vector<int32_t> partition_indexes;
};

struct OffsetFetchRequestGroup {
  std::string group_id;
  std::optional<std::string> member_id;  // v9+
  int32_t member_epoch = -1;             // v9+
  std::optional<std::vector<OffsetFetchRequestTopic>> topics;  // nullopt = all committed
};

// Many groups in one request (v8+); all of them must share the coordinator.
struct OffsetFetchRequest {
  static constexpr int16_t kApiKey = 9;
  static constexpr int16_t kMinVersion = 8;
  static constexpr int16_t kMaxVersion = 9;
  static constexpr int16_t kFirstFlexibleVersion = 6;
  static constexpr const char* kName = "OffsetFetch";
  using Response = OffsetFetchResponse;

  std::vector<OffsetFetchRequestGroup> groups;
  bool require_stable = false;

  void encode(Writer& w, int16_t version) const {
    w.array_length(groups.size(), true);
    for (const auto& g : groups) {
      w.string(g.group_id, true);
      if (version >= 9) {
        w.nullable_string(g.member_id, true);
        w.int32(g.member_epoch);
      }
      if (!g.topics) {
        w.null_array(true);
      } else {
        w.array_length(g.topics->size(), true);
        for (const auto& t : *g.topics) {
          w.string(t.name, true);
          write_int32_array(w, t.partition_indexes, true);
          w.tags();
        }
      }
      w.tags();
    }
    w.boolean(require_stable);
    w.tags();
  }
};

}  // namespace kse::kafka
