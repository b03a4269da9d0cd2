#pragma once

#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct DescribeTransactionsResponse {
  struct Topic {
    std::string topic;
    std::vector<int32_t> partitions;
  };
  struct TransactionState {
    int16_t error_code = 0;
    std::string transactional_id;
    std::string transaction_state;
    int32_t transaction_timeout_ms = 0;
    int64_t transaction_start_time_ms = -1;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    std::vector<Topic> topics;
  };
  int32_t throttle_time_ms = 0;
  std::vector<TransactionState> transaction_states;

  static DescribeTransactionsResponse decode(Reader& r, int16_t) {
    DescribeTransactionsResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.transaction_states = read_array<TransactionState>(r.field("TransactionStates"), true, 28, [](Reader& in) {
      TransactionState s;
      s.error_code = in.field("TransactionStates.ErrorCode").int16();
      s.transactional_id = in.field("TransactionStates.TransactionalId").string(true);
      s.transaction_state = in.field("TransactionStates.TransactionState").string(true);
      s.transaction_timeout_ms = in.field("TransactionStates.TransactionTimeoutMs").int32();
      s.transaction_start_time_ms = in.field("TransactionStates.TransactionStartTimeMs").int64();
      s.producer_id = in.field("TransactionStates.ProducerId").int64();
      s.producer_epoch = in.field("TransactionStates.ProducerEpoch").int16();
      s.topics = read_array<Topic>(in.field("TransactionStates.Topics"), true, 3, [](Reader& t) {
        Topic topic;
        topic.topic = t.field("TransactionStates.Topics.Topic").string(true);
        topic.partitions = read_int32_array(t.field("TransactionStates.Topics.Partitions"), true);
        t.skip_tags();
        return topic;
      });
      in.skip_tags();
      return s;
    });
    r.skip_tags();
    return out;
  }
};

// Sent to the transaction coordinator of the ids.
struct DescribeTransactionsRequest {
  static constexpr int16_t kApiKey = 65;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;
  static constexpr int16_t kFirstFlexibleVersion = 0;
  static constexpr const char* kName = "DescribeTransactions";
  using Response = DescribeTransactionsResponse;

  std::vector<std::string> transactional_ids;

  void encode(Writer& w, int16_t) const {
    write_string_array(w, transactional_ids, true);
    w.tags();
  }
};

}  // namespace kse::kafka
