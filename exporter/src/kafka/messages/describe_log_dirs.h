#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct DescribeLogDirsResponse {
  struct Partition {
    int32_t partition_index = 0;
    int64_t partition_size = 0;
    int64_t offset_lag = 0;
    bool is_future_key = false;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  struct Result {
    int16_t error_code = 0;
    std::string log_dir;
    std::vector<Topic> topics;
    int64_t total_bytes = -1;
    int64_t usable_bytes = -1;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Result> results;

  static DescribeLogDirsResponse decode(Reader& r, int16_t version) {
    DescribeLogDirsResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    if (version >= 3) out.error_code = r.field("ErrorCode").int16();
    out.results = read_array<Result>(r.field("Results"), true, 5, [&](Reader& in) {
      Result res;
      res.error_code = in.field("Results.ErrorCode").int16();
      res.log_dir = in.field("Results.LogDir").string(true);
      res.topics = read_array<Topic>(in.field("Results.Topics"), true, 3, [](Reader& t) {
        Topic topic;
        topic.name = t.field("Results.Topics.Name").string(true);
        topic.partitions = read_array<Partition>(t.field("Results.Topics.Partitions"), true, 22, [](Reader& p) {
          Partition part;
          part.partition_index = p.field("Results.Topics.Partitions.PartitionIndex").int32();
          part.partition_size = p.field("Results.Topics.Partitions.PartitionSize").int64();
          part.offset_lag = p.field("Results.Topics.Partitions.OffsetLag").int64();
          part.is_future_key = p.field("Results.Topics.Partitions.IsFutureKey").boolean();
          p.skip_tags();
          return part;
        });
        t.skip_tags();
        return topic;
      });
      if (version >= 4) {
        res.total_bytes = in.field("Results.TotalBytes").int64();
        res.usable_bytes = in.field("Results.UsableBytes").int64();
      }
      in.skip_tags();
      return res;
    });
    r.skip_tags();
    return out;
  }
};

// Sent to each broker: it reports only its own log dirs.
struct DescribeLogDirsRequest {
  static constexpr int16_t kApiKey = 35;
  static constexpr int16_t kMinVersion = 2;
  static constexpr int16_t kMaxVersion = 4;
  static constexpr int16_t kFirstFlexibleVersion = 2;
  static constexpr const char* kName = "DescribeLogDirs";
  using Response = DescribeLogDirsResponse;

  struct Topic {
    std::string topic;
    std::vector<int32_t> partitions;
  };
  std::optional<std::vector<Topic>> topics;  // nullopt = everything

  void encode(Writer& w, int16_t) const {
    if (!topics) {
      w.null_array(true);
    } else {
      w.array_length(topics->size(), true);
      for (const auto& t : *topics) {
        w.string(t.topic, true);
        write_int32_array(w, t.partitions, true);
        w.tags();
      }
    }
    w.tags();
  }
};

}  // namespace kse::kafka
