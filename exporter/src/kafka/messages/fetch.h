#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

// Fetch (key 1), versions 4 to 11: the non-flexible versions that address topics by name,
// spoken by every broker from Kafka 0.11 to 4.x. The exporter reads only the first bytes
// at a committed offset, to learn the timestamp of the oldest unconsumed record.
namespace kse::kafka {

struct FetchResponse {
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
    int32_t preferred_read_replica = -1;
    std::vector<uint8_t> records;  // record batches, the last one possibly cut short
  };
  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int32_t session_id = 0;
  std::vector<Topic> responses;

  static FetchResponse decode(Reader& r, int16_t version) {
    FetchResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    if (version >= 7) {
      out.error_code = r.field("ErrorCode").int16();
      out.session_id = r.field("SessionId").int32();
    }
    out.responses = read_array<Topic>(r.field("Responses"), false, 6, [version](Reader& in) {
      Topic t;
      t.topic = in.field("Responses.Topic").string(false);
      t.partitions = read_array<Partition>(in.field("Responses.Partitions"), false, 30, [version](Reader& p) {
        Partition part;
        part.partition_index = p.field("Responses.Partitions.PartitionIndex").int32();
        part.error_code = p.field("Responses.Partitions.ErrorCode").int16();
        part.high_watermark = p.field("Responses.Partitions.HighWatermark").int64();
        part.last_stable_offset = p.field("Responses.Partitions.LastStableOffset").int64();
        if (version >= 5) part.log_start_offset = p.field("Responses.Partitions.LogStartOffset").int64();
        // Aborted transactions: not needed, read past.
        read_array<int>(p.field("Responses.Partitions.AbortedTransactions"), false, 16, [](Reader& a) {
          a.field("Responses.Partitions.AbortedTransactions.ProducerId").int64();
          a.field("Responses.Partitions.AbortedTransactions.FirstOffset").int64();
          return 0;
        });
        if (version >= 11) part.preferred_read_replica = p.field("Responses.Partitions.PreferredReadReplica").int32();
        part.records = p.field("Responses.Partitions.Records").raw_bytes(false);
        return part;
      });
      return t;
    });
    return out;
  }
};

struct FetchRequestPartition {
  int32_t partition = 0;
  int32_t current_leader_epoch = -1;
  int64_t fetch_offset = 0;
  int32_t partition_max_bytes = 0;
};

struct FetchRequestTopic {
  std::string topic;
  std::vector<FetchRequestPartition> partitions;
};

struct FetchRequest {
  static constexpr int16_t kApiKey = 1;
  static constexpr int16_t kMinVersion = 4;
  static constexpr int16_t kMaxVersion = 11;
  static constexpr int16_t kFirstFlexibleVersion = 12;
  static constexpr const char* kName = "Fetch";
  using Response = FetchResponse;

  int32_t max_wait_ms = 0;  // answer at once with what the log has
  int32_t min_bytes = 0;
  int32_t max_bytes = 1 << 20;
  int8_t isolation_level = 0;
  std::vector<FetchRequestTopic> topics;

  void encode(Writer& w, int16_t version) const {
    w.int32(-1);  // ReplicaId: a consumer
    w.int32(max_wait_ms);
    w.int32(min_bytes);
    w.int32(max_bytes);
    w.int8(isolation_level);
    if (version >= 7) {
      w.int32(0);   // SessionId: no fetch session
      w.int32(-1);  // SessionEpoch: full fetch, no session created
    }
    w.array_length(topics.size(), false);
    for (const auto& topic : topics) {
      w.string(topic.topic, false);
      w.array_length(topic.partitions.size(), false);
      for (const auto& p : topic.partitions) {
        w.int32(p.partition);
        if (version >= 9) w.int32(p.current_leader_epoch);
        w.int64(p.fetch_offset);
        if (version >= 5) w.int64(-1);  // LogStartOffset: only followers send it
        w.int32(p.partition_max_bytes);
      }
    }
    if (version >= 7) w.array_length(0, false);  // ForgottenTopicsData
    if (version >= 11) w.string("", false);      // RackId
  }
};

}  // namespace kse::kafka
