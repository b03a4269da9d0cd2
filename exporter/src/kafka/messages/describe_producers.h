#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct DescribeProducersResponse {
  struct Producer {
    int64_t producer_id = -1;
    int32_t producer_epoch = -1;
    int32_t last_sequence = -1;
    int64_t last_timestamp = -1;
    int32_t coordinator_epoch = -1;
    int64_t current_txn_start_offset = -1;  // -1: no open transaction
  };
  struct Partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    std::vector<Producer> active_producers;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  static DescribeProducersResponse decode(Reader& r, int16_t) {
    DescribeProducersResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.topics = read_array<Topic>(r.field("Topics"), true, 3, [](Reader& in) {
      Topic t;
      t.name = in.field("Topics.Name").string(true);
      t.partitions = read_array<Partition>(in.field("Topics.Partitions"), true, 9, [](Reader& p) {
        Partition part;
        part.partition_index = p.field("Topics.Partitions.PartitionIndex").int32();
        part.error_code = p.field("Topics.Partitions.ErrorCode").int16();
        part.error_message = p.field("Topics.Partitions.ErrorMessage").nullable_string(true);
        part.active_producers = read_array<Producer>(p.field("Topics.Partitions.ActiveProducers"), true, 37, [](Reader& a) {
          Producer producer;
          producer.producer_id = a.field("ActiveProducers.ProducerId").int64();
          producer.producer_epoch = a.field("ActiveProducers.ProducerEpoch").int32();
          producer.last_sequence = a.field("ActiveProducers.LastSequence").int32();
          producer.last_timestamp = a.field("ActiveProducers.LastTimestamp").int64();
          producer.coordinator_epoch = a.field("ActiveProducers.CoordinatorEpoch").int32();
          producer.current_txn_start_offset = a.field("ActiveProducers.CurrentTxnStartOffset").int64();
          a.skip_tags();
          return producer;
        });
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

// Sent to the partitions' leader: who writes to them, and open transactions' start offsets.
struct DescribeProducersRequest {
  static constexpr int16_t kApiKey = 61;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;
  static constexpr int16_t kFirstFlexibleVersion = 0;
  static constexpr const char* kName = "DescribeProducers";
  using Response = DescribeProducersResponse;

  struct Topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
  };
  std::vector<Topic> topics;

  void encode(Writer& w, int16_t) const {
    w.array_length(topics.size(), true);
    for (const auto& t : topics) {
      w.string(t.name, true);
      write_int32_array(w, t.partition_indexes, true);
      w.tags();
    }
    w.tags();
  }
};

}  // namespace kse::kafka
