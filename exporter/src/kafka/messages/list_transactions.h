#pragma once

#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct ListTransactionsResponse {
  struct TransactionState {
    std::string transactional_id;
    int64_t producer_id = -1;
    std::string transaction_state;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<std::string> unknown_state_filters;
  std::vector<TransactionState> transaction_states;

  static ListTransactionsResponse decode(Reader& r, int16_t) {
    ListTransactionsResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.error_code = r.field("ErrorCode").int16();
    out.unknown_state_filters = read_string_array(r.field("UnknownStateFilters"), true);
    out.transaction_states = read_array<TransactionState>(r.field("TransactionStates"), true, 11, [](Reader& in) {
      TransactionState s;
      s.transactional_id = in.field("TransactionStates.TransactionalId").string(true);
      s.producer_id = in.field("TransactionStates.ProducerId").int64();
      s.transaction_state = in.field("TransactionStates.TransactionState").string(true);
      in.skip_tags();
      return s;
    });
    r.skip_tags();
    return out;
  }
};

// Sent to every broker: each lists the transactions its coordinators hold.
struct ListTransactionsRequest {
  static constexpr int16_t kApiKey = 66;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  static constexpr int16_t kFirstFlexibleVersion = 0;
  static constexpr const char* kName = "ListTransactions";
  using Response = ListTransactionsResponse;

  std::vector<std::string> state_filters;
  std::vector<int64_t> producer_id_filters;
  int64_t duration_filter = -1;  // v1+: only transactions running longer than this (ms)

  void encode(Writer& w, int16_t version) const {
    write_string_array(w, state_filters, true);
    w.array_length(producer_id_filters.size(), true);
    for (int64_t id : producer_id_filters) w.int64(id);
    if (version >= 1) w.int64(duration_filter);
    w.tags();
  }
};

}  // namespace kse::kafka
