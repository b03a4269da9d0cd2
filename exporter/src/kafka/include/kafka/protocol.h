#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/message.h"

// Framing: int32 size, request header v1 (v2 in flexible versions), body; the
// response header is v0 (v1 in flexible versions, except ApiVersions: always v0).
namespace kse::kafka {

struct ApiVersionRange {
  int16_t min = 0;
  int16_t max = -1;
};

// Highest version both sides implement, or -1 when there is none.
template <typename Request>
int16_t choose_version(ApiVersionRange broker) {
  const int16_t high = std::min<int16_t>(Request::kMaxVersion, broker.max);
  const int16_t low = std::max<int16_t>(Request::kMinVersion, broker.min);
  return high >= low ? high : -1;
}

template <typename Request>
std::vector<uint8_t> encode_request(const Request& request, int16_t version, int32_t correlation_id,
                                    std::string_view client_id) {
  Writer w;
  w.int32(0);  // size, patched below
  w.int16(Request::kApiKey);
  w.int16(version);
  w.int32(correlation_id);
  w.string(client_id, false);  // the header's client id is never compact
  if (is_flexible<Request>(version)) w.tags();
  request.encode(w, version);
  auto& bytes = w.bytes();
  const uint32_t size = static_cast<uint32_t>(bytes.size() - 4);
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(size >> (8 * (3 - i)));
  return std::move(bytes);
}

// The correlation id at the start of a response frame (size prefix removed).
int32_t peek_correlation_id(std::span<const uint8_t> frame);

template <typename Request>
typename Request::Response decode_response(std::span<const uint8_t> frame, int16_t version) {
  Reader r(frame, std::string(Request::kName) + " v" + std::to_string(version) + " response");
  r.field("CorrelationId").int32();
  if (is_flexible<Request>(version) && Request::kApiKey != 18) r.skip_tags();
  // KIP-511: a broker that does not know our ApiVersions version answers in the v0 layout,
  // with UNSUPPORTED_VERSION (35) in its first field.
  if (Request::kApiKey == 18 && frame.size() >= 6 && frame[4] == 0 && frame[5] == 35) version = 0;
  auto response = Request::Response::decode(r, version);
  if (r.remaining() != 0) {
    r.field("<end>").fail(std::to_string(r.remaining()) + " unexpected trailing bytes");
  }
  return response;
}

// Values of request fields that the specs describe only in prose.
// ListOffsets Partitions.Timestamp: the offset to look up.
inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;
// IsolationLevel of ListOffsets and Fetch.
inline constexpr int8_t kReadUncommitted = 0;
inline constexpr int8_t kReadCommitted = 1;
// FindCoordinator KeyType.
inline constexpr int8_t kGroupCoordinator = 0;
inline constexpr int8_t kTransactionCoordinator = 1;
// The first versions that carry many keys or groups (KIP-699, KIP-709; Kafka 3.0). Older ones
// carry one: FindCoordinatorRequest::key, OffsetFetchRequest::group_id.
inline constexpr int16_t kFirstBatchedFindCoordinatorVersion = 4;
inline constexpr int16_t kFirstBatchedOffsetFetchVersion = 8;
// ElectLeaders ElectionType.
inline constexpr int8_t kPreferredElection = 0;
// DescribeConfigs ResourceType.
inline constexpr int8_t kTopicResource = 2;
// What ApiVersions v3+ tells the broker about us (KIP-511).
inline constexpr const char* kClientSoftwareName = "kafka-sidecar-exporter";
inline constexpr const char* kClientSoftwareVersion = "0.1.0";

// The error codes the exporter acts on, by Kafka's numbers.
inline constexpr int16_t kUnsupportedVersion = 35;
inline constexpr int16_t kNotController = 41;
inline constexpr int16_t kElectionNotNeeded = 84;

// Kafka's name for an error code ("NOT_LEADER_OR_FOLLOWER"), or "UNKNOWN_ERROR_<n>".
std::string error_name(int16_t code);

}  // namespace kse::kafka
