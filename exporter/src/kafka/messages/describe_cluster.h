#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct DescribeClusterResponse {
  struct Broker {
    int32_t broker_id = -1;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  int8_t endpoint_type = 1;
  std::string cluster_id;
  int32_t controller_id = -1;
  std::vector<Broker> brokers;
  int32_t cluster_authorized_operations = INT32_MIN;

  static DescribeClusterResponse decode(Reader& r, int16_t version) {
    DescribeClusterResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.error_code = r.field("ErrorCode").int16();
    out.error_message = r.field("ErrorMessage").nullable_string(true);
    if (version >= 1) out.endpoint_type = r.field("EndpointType").int8();
    out.cluster_id = r.field("ClusterId").string(true);
    out.controller_id = r.field("ControllerId").int32();
    out.brokers = read_array<Broker>(r.field("Brokers"), true, 11, [](Reader& in) {
      Broker b;
      b.broker_id = in.field("Brokers.BrokerId").int32();
      b.host = in.field("Brokers.Host").string(true);
      b.port = in.field("Brokers.Port").int32();
      b.rack = in.field("Brokers.Rack").nullable_string(true);
      in.skip_tags();
      return b;
    });
    out.cluster_authorized_operations = r.field("ClusterAuthorizedOperations").int32();
    r.skip_tags();
    return out;
  }
};

// Any broker answers with the brokers of the listener the request came in on.
struct DescribeClusterRequest {
  static constexpr int16_t kApiKey = 60;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;
  static constexpr int16_t kFirstFlexibleVersion = 0;
  static constexpr const char* kName = "DescribeCluster";
  using Response = DescribeClusterResponse;

  bool include_cluster_authorized_operations = false;
  int8_t endpoint_type = 1;  // v1+: 1 brokers, 2 controllers

  void encode(Writer& w, int16_t version) const {
    w.boolean(include_cluster_authorized_operations);
    if (version >= 1) w.int8(endpoint_type);
    w.tags();
  }
};

}  // namespace kse::kafka
