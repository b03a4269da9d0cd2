#include "kafka/protocol.h"

#include <map>

namespace kse::kafka {

int32_t peek_correlation_id(std::span<const uint8_t> frame) {
  Reader r(frame, "response header");
  return r.field("CorrelationId").int32();
}

std::string error_name(int16_t code) {
  static const std::map<int16_t, const char*> names = {
      {-1, "UNKNOWN_SERVER_ERROR"},
      {0, "NONE"},
      {1, "OFFSET_OUT_OF_RANGE"},
      {3, "UNKNOWN_TOPIC_OR_PARTITION"},
      {5, "LEADER_NOT_AVAILABLE"},
      {6, "NOT_LEADER_OR_FOLLOWER"},
      {7, "REQUEST_TIMED_OUT"},
      {8, "BROKER_NOT_AVAILABLE"},
      {14, "COORDINATOR_LOAD_IN_PROGRESS"},
      {15, "COORDINATOR_NOT_AVAILABLE"},
      {16, "NOT_COORDINATOR"},
      {25, "UNKNOWN_MEMBER_ID"},
      {29, "TOPIC_AUTHORIZATION_FAILED"},
      {30, "GROUP_AUTHORIZATION_FAILED"},
      {31, "CLUSTER_AUTHORIZATION_FAILED"},
      {33, "UNSUPPORTED_SASL_MECHANISM"},
      {34, "ILLEGAL_SASL_STATE"},
      {35, "UNSUPPORTED_VERSION"},
      {41, "NOT_CONTROLLER"},
      {42, "INVALID_REQUEST"},
      {53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"},
      {56, "KAFKA_STORAGE_ERROR"},
      {58, "SASL_AUTHENTICATION_FAILED"},
      {69, "GROUP_ID_NOT_FOUND"},
      {74, "FENCED_LEADER_EPOCH"},
      {75, "UNKNOWN_LEADER_EPOCH"},
      {78, "OFFSET_NOT_AVAILABLE"},
      {85, "NO_REASSIGNMENT_IN_PROGRESS"},
      {100, "UNKNOWN_TOPIC_ID"},
      {105, "TRANSACTIONAL_ID_NOT_FOUND"},
      {114, "MISMATCHED_ENDPOINT_TYPE"},
      {115, "UNSUPPORTED_ENDPOINT_TYPE"},
      {120, "TRANSACTION_ABORTABLE"},
  };
  auto it = names.find(code);
  return it != names.end() ? it->second : "UNKNOWN_ERROR_" + std::to_string(code);
}

}  // namespace kse::kafka
