// Golden bytes for every message and every version the client implements,
// written by hand from Kafka's JSON specifications (3.9, and 4.4 for the versions
// added since: clients/src/main/resources/common/message/<Name>Request.json /
// Response.json). No expected byte here comes from our Writer or from the generator
// (tools/kafka-codegen): requests are compared with the literal bytes, and responses
// are literal frames decoded field by field.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <string_view>

#include "decoders.h"

#include "kafka/consumer_protocol.h"
#include "kafka/generated/all_apis.h"
#include "kafka/protocol.h"

namespace kse::kafka {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// The characters of `s` only: every length prefix is written by hand next to it.
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A field that exists only in some versions ("versions": "N+" in the spec).
Bytes when(bool present, const Bytes& bytes) { return present ? bytes : Bytes{}; }

Bytes repeat(uint8_t byte, size_t count) { return Bytes(count, byte); }

// What an API's JSON says: its key, "validVersions" and the first of "flexibleVersions".
struct Spec {
  int16_t api_key;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible;  // -1: "flexibleVersions": "none"
  bool flexible(int16_t version) const { return first_flexible >= 0 && version >= first_flexible; }
};

// Our range must lie inside the spec's, and our flexible switch must be the spec's.
template <typename Request>
void expect_within_spec(const Spec& spec, std::initializer_list<int16_t> covered_versions) {
  EXPECT_EQ(Request::kApiKey, spec.api_key) << Request::kName;
  EXPECT_GE(Request::kMinVersion, spec.min_version) << Request::kName;
  EXPECT_LE(Request::kMaxVersion, spec.max_version) << Request::kName;
  // Every implemented version has a golden vector below.
  EXPECT_EQ(Request::kMinVersion, *covered_versions.begin()) << Request::kName;
  EXPECT_EQ(Request::kMaxVersion, *(covered_versions.end() - 1)) << Request::kName;
  for (int16_t version : covered_versions) {
    EXPECT_EQ(is_flexible<Request>(version), spec.flexible(version)) << Request::kName << " v" << version;
  }
}

// Request header v1 (non-flexible versions) or v2 (flexible: a tag section follows the
// client id, which stays a classic int16-length string). Correlation id 42, client id "k".
template <typename Request>
void expect_request_bytes(const Spec& spec, const Request& request, int16_t version, const Bytes& body) {
  const auto hi = [](int16_t v) { return static_cast<uint8_t>(static_cast<uint16_t>(v) >> 8); };
  const auto lo = [](int16_t v) { return static_cast<uint8_t>(v & 0xff); };
  Bytes header = {hi(spec.api_key),
                  lo(spec.api_key),
                  hi(version),
                  lo(version),
                  0x00,
                  0x00,
                  0x00,
                  0x2a,  // CorrelationId 42
                  0x00,
                  0x01,
                  'k'};                                // ClientId "k"
  if (spec.flexible(version)) header.push_back(0x00);  // header v2: no tagged fields
  const auto size = static_cast<uint32_t>(header.size() + body.size());
  Bytes expected = {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                    static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
  expected = cat({expected, header, body});
  EXPECT_EQ(encode_request(request, version, 42, "k"), expected) << Request::kName << " v" << version;
}

// Response header v0 (CorrelationId 42) or v1 (plus an empty tag section).
Bytes response_frame(bool header_tags, const Bytes& body) {
  return cat({{0x00, 0x00, 0x00, 0x2a}, when(header_tags, {0x00}), body});
}

template <typename Request>
void expect_every_prefix_fails(const Bytes& frame, int16_t version) {
  for (size_t length = 0; length < frame.size(); ++length) {
    const Bytes prefix(frame.begin(), frame.begin() + static_cast<long>(length));
    try {
      decode_response<Request>(prefix, version);
      ADD_FAILURE() << Request::kName << " v" << version << " decoded a " << length << "-byte prefix";
    } catch (const DecodeError& error) {
      EXPECT_EQ(std::string(error.what()).rfind(std::string(Request::kName) + " v", 0), 0u) << error.what();
    }
  }
}

// With KSE_WRITE_FUZZ_CORPUS=<dir>, every golden frame becomes a seed of the protocol
// fuzzer (fuzz/run-fuzzers reads fuzz/corpus/protocol_fuzzer), prefixed by its selector.
void write_fuzz_seed(const std::string& name, uint8_t selector, uint8_t version_offset, const Bytes& frame) {
  const char* dir = std::getenv("KSE_WRITE_FUZZ_CORPUS");
  if (dir == nullptr) return;
  std::filesystem::create_directories(dir);
  const std::string bytes(frame.begin(), frame.end());
  const auto path =
      std::filesystem::path(dir) / (name + "_" + std::to_string(std::hash<std::string>{}(bytes) % 1000000));
  std::ofstream out(path, std::ios::binary);
  out.put(static_cast<char>(selector)).put(static_cast<char>(version_offset)) << bytes;
}

// The APIs whose responses have golden frames here, for the coverage test at the end.
std::set<std::string>& covered_apis() {
  static std::set<std::string> names;
  return names;
}

// Decodes a golden frame; every strict prefix and one trailing byte must be rejected.
template <typename Request>
typename Request::Response decode_golden(const Bytes& frame, int16_t version) {
  covered_apis().insert(Request::kName);
  write_fuzz_seed(std::string(Request::kName) + "_v" + std::to_string(version),
                  fuzz::decoder_index<Request>(), static_cast<uint8_t>(version - Request::kMinVersion),
                  frame);
  expect_every_prefix_fails<Request>(frame, version);
  Bytes trailing = frame;
  trailing.push_back(0x00);
  EXPECT_THROW(decode_response<Request>(trailing, version), DecodeError) << Request::kName << " v" << version;
  return decode_response<Request>(frame, version);
}

const Bytes kLocalhost = cat({{0x0a}, text("127.0.0.1")});  // compact string "127.0.0.1"

// --- ApiVersions (key 18): validVersions 0-4, flexible 3+; the response header is always v0.

TEST(GoldenTest, ApiVersions) {
  const Spec spec{18, 0, 4, 3};
  expect_within_spec<ApiVersionsRequest>(spec, {0, 1, 2, 3});
  ApiVersionsRequest request;
  request.client_software_name = "kse";
  request.client_software_version = "1.2.3";
  for (int16_t v : {0, 1, 2, 3}) {
    SCOPED_TRACE("ApiVersions v" + std::to_string(v));
    const bool flexible = v >= 3;
    expect_request_bytes(spec, request, v,
                         when(flexible, cat({{0x04},
                                             text("kse"),  // ClientSoftwareName (3+)
                                             {0x06},
                                             text("1.2.3"),  // ClientSoftwareVersion (3+)
                                             {0x00}})));     // tags
    const Bytes api_keys = flexible ? cat({{0x03},           // ApiKeys: 2 (compact)
                                           {0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00},   // 18: 0..4, tags
                                           {0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00}})  // 3: 0..12, tags
                                    : cat({{0x00, 0x00, 0x00, 0x02},                     // ApiKeys: 2
                                           {0x00, 0x12, 0x00, 0x00, 0x00, 0x04},         // 18: 0..4
                                           {0x00, 0x03, 0x00, 0x00, 0x00, 0x0c}});       // 3: 0..12
    const Bytes body =
        cat({{0x00, 0x00},  // ErrorCode
             api_keys,
             when(v >= 1, {0x00, 0x00, 0x00, 0x05}),  // ThrottleTimeMs (1+)
             // Tagged fields as a 3.9 broker sends them: SupportedFeatures (tag 0)
             // [{metadata.version 1..21}] and FinalizedFeaturesEpoch (tag 1) 300.
             when(flexible, cat({{0x02, 0x00, 0x17, 0x02, 0x11},
                                 text("metadata.version"),
                                 {0x00, 0x01, 0x00, 0x15, 0x00},
                                 {0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x2c}}))});
    const auto response = decode_golden<ApiVersionsRequest>(response_frame(false, body), v);
    EXPECT_EQ(response.error_code, 0);
    ASSERT_EQ(response.api_keys.size(), 2u);
    EXPECT_EQ(response.api_keys[0].api_key, 18);
    EXPECT_EQ(response.api_keys[0].max_version, 4);
    EXPECT_EQ(response.api_keys[1].api_key, 3);
    EXPECT_EQ(response.api_keys[1].min_version, 0);
    EXPECT_EQ(response.api_keys[1].max_version, 12);
    EXPECT_EQ(response.throttle_time_ms, v >= 1 ? 5 : 0);
  }
}

TEST(GoldenTest, ApiVersionsUnsupportedVersionAnswerIsInTheV0Layout) {
  // KIP-511: asked at v3 by a broker that only knows 0-2, the body is v0 with error 35.
  const Bytes body = {0x00, 0x23,                           // ErrorCode 35 UNSUPPORTED_VERSION
                      0x00, 0x00, 0x00, 0x01,               // ApiKeys: 1 (classic array)
                      0x00, 0x12, 0x00, 0x00, 0x00, 0x02};  // 18: 0..2
  const auto response = decode_golden<ApiVersionsRequest>(response_frame(false, body), 3);
  EXPECT_EQ(response.error_code, 35);
  ASSERT_EQ(response.api_keys.size(), 1u);
  EXPECT_EQ(response.api_keys[0].max_version, 2);
}

// --- Metadata (key 3): validVersions 0-13, flexible 9+; we implement 9-13 (all flexible).

TEST(GoldenTest, Metadata) {
  const Spec spec{3, 0, 13, 9};
  expect_within_spec<MetadataRequest>(spec, {9, 10, 11, 12, 13});
  MetadataRequest all;
  all.topics = std::nullopt;  // every topic
  all.allow_auto_topic_creation = false;
  MetadataRequest named;
  named.topics = std::vector<MetadataRequest::Topic>{{Uuid{}, "t1"}};
  named.allow_auto_topic_creation = true;
  for (int16_t v : {9, 10, 11, 12, 13}) {
    SCOPED_TRACE("Metadata v" + std::to_string(v));
    expect_request_bytes(spec, all, v,
                         cat({{0x00},                 // Topics: null = all (nullable 1+)
                              {0x00},                 // AllowAutoTopicCreation (4+)
                              when(v <= 10, {0x00}),  // IncludeClusterAuthorizedOperations (8-10)
                              {0x00},                 // IncludeTopicAuthorizedOperations (8+)
                              {0x00}}));              // tags
    expect_request_bytes(spec, named, v,
                         cat({{0x02},                           // Topics: 1
                              when(v >= 10, repeat(0x00, 16)),  // TopicId (10+): zero
                              {0x03},
                              text("t1"),  // Name
                              {0x00},      // topic tags
                              {0x01},      // AllowAutoTopicCreation
                              when(v <= 10, {0x00}),
                              {0x00},
                              {0x00}}));
    Bytes topic_id;
    for (uint8_t b = 1; b <= 16; ++b) topic_id.push_back(b);
    const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs (3+)
                            {0x03},                    // Brokers: 2
                            {0x00, 0x00, 0x00, 0x01},
                            kLocalhost,
                            {0x00, 0x00, 0x23, 0x84},  // 1 127.0.0.1:9092
                            {0x03},
                            text("r1"),
                            {0x00},  // Rack "r1", tags
                            {0x00, 0x00, 0x00, 0x02},
                            kLocalhost,
                            {0x00, 0x00, 0x23, 0xe8},  // 2 127.0.0.1:9192
                            {0x00},
                            {0x00},  // Rack null, tags
                            {0x04},
                            text("cid"),               // ClusterId (2+)
                            {0x00, 0x00, 0x00, 0x02},  // ControllerId (1+)
                            {0x02},                    // Topics: 1
                            {0x00, 0x00},              // ErrorCode
                            {0x03},
                            text("t1"),                                              // Name
                            when(v >= 10, topic_id),                                 // TopicId (10+)
                            {0x00},                                                  // IsInternal (1+)
                            {0x02},                                                  // Partitions: 1
                            {0x00, 0x00},                                            // ErrorCode
                            {0x00, 0x00, 0x00, 0x00},                                // PartitionIndex 0
                            {0x00, 0x00, 0x00, 0x01},                                // LeaderId 1
                            {0x00, 0x00, 0x00, 0x07},                                // LeaderEpoch (7+) 7
                            {0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02},  // ReplicaNodes [1, 2]
                            {0x02, 0x00, 0x00, 0x00, 0x01},                          // IsrNodes [1]
                            {0x02, 0x00, 0x00, 0x00, 0x02},           // OfflineReplicas (5+) [2]
                            {0x00},                                   // partition tags
                            {0x80, 0x00, 0x00, 0x00},                 // TopicAuthorizedOperations (8+)
                            {0x00},                                   // topic tags
                            when(v <= 10, {0x80, 0x00, 0x00, 0x00}),  // ClusterAuthorizedOperations (8-10)
                            when(v >= 13, {0x00, 0x00}),              // ErrorCode (13+)
                            {0x00}});                                 // tags
    const auto response = decode_golden<MetadataRequest>(response_frame(true, body), v);
    EXPECT_EQ(response.error_code, 0);
    ASSERT_EQ(response.brokers.size(), 2u);
    EXPECT_EQ(response.brokers[0].node_id, 1);
    EXPECT_EQ(response.brokers[0].host, "127.0.0.1");
    EXPECT_EQ(response.brokers[0].port, 9092);
    EXPECT_EQ(response.brokers[0].rack, std::optional<std::string>("r1"));
    EXPECT_EQ(response.brokers[1].port, 9192);
    EXPECT_EQ(response.brokers[1].rack, std::nullopt);
    EXPECT_EQ(response.cluster_id, std::optional<std::string>("cid"));
    EXPECT_EQ(response.controller_id, 2);
    ASSERT_EQ(response.topics.size(), 1u);
    const auto& topic = response.topics[0];
    EXPECT_EQ(topic.name, std::optional<std::string>("t1"));
    EXPECT_EQ(topic.topic_id[0], v >= 10 ? 1 : 0);
    EXPECT_EQ(topic.topic_id[15], v >= 10 ? 16 : 0);
    EXPECT_FALSE(topic.is_internal);
    EXPECT_EQ(topic.topic_authorized_operations, INT32_MIN);
    ASSERT_EQ(topic.partitions.size(), 1u);
    const auto& partition = topic.partitions[0];
    EXPECT_EQ(partition.leader_id, 1);
    EXPECT_EQ(partition.leader_epoch, 7);
    EXPECT_EQ(partition.replica_nodes, (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(partition.isr_nodes, (std::vector<int32_t>{1}));
    EXPECT_EQ(partition.offline_replicas, (std::vector<int32_t>{2}));
  }
}

// --- ListOffsets (key 2): validVersions 1-11, flexible 6+; we implement 6-11.

TEST(GoldenTest, ListOffsets) {
  const Spec spec{2, 1, 11, 6};
  expect_within_spec<ListOffsetsRequest>(spec, {6, 7, 8, 9, 10, 11});
  ListOffsetsRequest request;
  request.replica_id = -1;  // a consumer (the spec has no default)
  request.isolation_level = 1;
  request.topics.push_back({"t1", {{3, 5, kLatestTimestamp}}});
  request.timeout_ms = 5000;
  for (int16_t v : {6, 7, 8, 9, 10, 11}) {
    SCOPED_TRACE("ListOffsets v" + std::to_string(v));
    expect_request_bytes(spec, request, v,
                         cat({{0xff, 0xff, 0xff, 0xff},  // ReplicaId -1 (a consumer)
                              {0x01},                    // IsolationLevel (2+) read_committed
                              {0x02},                    // Topics: 1
                              {0x03},
                              text("t1"),                // Name
                              {0x02},                    // Partitions: 1
                              {0x00, 0x00, 0x00, 0x03},  // PartitionIndex 3
                              {0x00, 0x00, 0x00, 0x05},  // CurrentLeaderEpoch (4+) 5
                              repeat(0xff, 8),           // Timestamp -1 (latest)
                              {0x00},                    // partition tags (MaxNumOffsets is v0 only)
                              {0x00},                    // topic tags
                              when(v >= 10, {0x00, 0x00, 0x13, 0x88}),  // TimeoutMs (10+) 5000
                              {0x00}}));                                // tags
    const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},                   // ThrottleTimeMs (2+)
                            {0x02},
                            {0x03},
                            text("t1"),                                        // Topics: 1, "t1"
                            {0x03},                                            // Partitions: 2
                            {0x00, 0x00, 0x00, 0x03},                          // PartitionIndex 3
                            {0x00, 0x00},                                      // ErrorCode
                            repeat(0xff, 8),                                   // Timestamp (1+) -1
                            {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x92},  // Offset (1+) 4242
                            {0x00, 0x00, 0x00, 0x05},                          // LeaderEpoch (4+) 5
                            {0x00},                                            // tags
                            {0x00, 0x00, 0x00, 0x04},                          // PartitionIndex 4
                            {0x00, 0x06},                                      // NOT_LEADER_OR_FOLLOWER
                            repeat(0xff, 8),
                            repeat(0xff, 8),
                            repeat(0xff, 4),  // -1, -1, -1
                            {0x00},           // tags
                            {0x00},           // topic tags
                            {0x00}});         // tags
    const auto response = decode_golden<ListOffsetsRequest>(response_frame(true, body), v);
    ASSERT_EQ(response.topics.size(), 1u);
    EXPECT_EQ(response.topics[0].name, "t1");
    ASSERT_EQ(response.topics[0].partitions.size(), 2u);
    const auto& ok = response.topics[0].partitions[0];
    EXPECT_EQ(ok.partition_index, 3);
    EXPECT_EQ(ok.error_code, 0);
    EXPECT_EQ(ok.timestamp, -1);
    EXPECT_EQ(ok.offset, 4242);
    EXPECT_EQ(ok.leader_epoch, 5);
    const auto& moved = response.topics[0].partitions[1];
    EXPECT_EQ(moved.partition_index, 4);
    EXPECT_EQ(moved.error_code, 6);
    EXPECT_EQ(moved.offset, -1);
  }
}

// --- ListGroups (key 16): validVersions 0-5, flexible 3+; we implement 3-5.

TEST(GoldenTest, ListGroups) {
  const Spec spec{16, 0, 5, 3};
  expect_within_spec<ListGroupsRequest>(spec, {3, 4, 5});
  ListGroupsRequest request;
  request.states_filter = {"Stable"};
  request.types_filter = {"classic"};
  for (int16_t v : {3, 4, 5}) {
    SCOPED_TRACE("ListGroups v" + std::to_string(v));
    expect_request_bytes(spec, request, v,
                         cat({when(v >= 4, cat({{0x02, 0x07}, text("Stable")})),   // StatesFilter (4+)
                              when(v >= 5, cat({{0x02, 0x08}, text("classic")})),  // TypesFilter (5+)
                              {0x00}}));                                           // tags
    const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},                              // ThrottleTimeMs (1+)
                            {0x00, 0x00},                                          // ErrorCode
                            {0x02},                                                // Groups: 1
                            {0x02},
                            text("g"),  // GroupId
                            {0x09},
                            text("consumer"),                              // ProtocolType
                            when(v >= 4, cat({{0x07}, text("Stable")})),   // GroupState (4+)
                            when(v >= 5, cat({{0x08}, text("classic")})),  // GroupType (5+)
                            {0x00},                                        // group tags
                            {0x00}});                                      // tags
    const auto response = decode_golden<ListGroupsRequest>(response_frame(true, body), v);
    EXPECT_EQ(response.error_code, 0);
    ASSERT_EQ(response.groups.size(), 1u);
    EXPECT_EQ(response.groups[0].group_id, "g");
    EXPECT_EQ(response.groups[0].protocol_type, "consumer");
    EXPECT_EQ(response.groups[0].group_state, v >= 4 ? "Stable" : "");
    EXPECT_EQ(response.groups[0].group_type, v >= 5 ? "classic" : "");
  }
}

// --- DescribeGroups (key 15): validVersions 0-5, flexible 5+; we implement 5.

TEST(GoldenTest, DescribeGroups) {
  const Spec spec{15, 0, 5, 5};
  expect_within_spec<DescribeGroupsRequest>(spec, {5});
  DescribeGroupsRequest request;
  request.groups = {"g"};
  expect_request_bytes(spec, request, 5,
                       {0x02, 0x02, 'g',  // Groups: ["g"]
                        0x00,             // IncludeAuthorizedOperations (3+)
                        0x00});           // tags
  // ConsumerProtocolAssignment v0 (never flexible): {t: [0, 3]}, no user data.
  const Bytes assignment = {0x00, 0x00,              // Version 0
                            0x00, 0x00, 0x00, 0x01,  // AssignedPartitions: 1
                            0x00, 0x01, 't',         // Topic "t"
                            0x00, 0x00, 0x00, 0x02,  // Partitions: 2
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x03, 0xff, 0xff, 0xff, 0xff};  // UserData null
  ASSERT_EQ(assignment.size(), 25u);
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                          {0x02},                    // Groups: 1
                          {0x00, 0x00},              // ErrorCode
                          {0x02},
                          text("g"),  // GroupId
                          {0x07},
                          text("Stable"),  // GroupState
                          {0x09},
                          text("consumer"),  // ProtocolType
                          {0x06},
                          text("range"),  // ProtocolData
                          {0x02},         // Members: 1
                          {0x03},
                          text("m1"),  // MemberId
                          {0x00},      // GroupInstanceId (4+) null
                          {0x03},
                          text("c1"),  // ClientId
                          {0x0b},
                          text("/127.0.0.1"),  // ClientHost
                          {0x01},              // MemberMetadata: empty bytes
                          {0x1a},
                          assignment,                // MemberAssignment: 25 bytes
                          {0x00},                    // member tags
                          {0x80, 0x00, 0x00, 0x00},  // AuthorizedOperations (3+)
                          {0x00},                    // group tags
                          {0x00}});                  // tags
  const auto response = decode_golden<DescribeGroupsRequest>(response_frame(true, body), 5);
  ASSERT_EQ(response.groups.size(), 1u);
  const auto& group = response.groups[0];
  EXPECT_EQ(group.group_id, "g");
  EXPECT_EQ(group.group_state, "Stable");
  EXPECT_EQ(group.protocol_type, "consumer");
  EXPECT_EQ(group.protocol_data, "range");
  EXPECT_EQ(group.authorized_operations, INT32_MIN);
  ASSERT_EQ(group.members.size(), 1u);
  EXPECT_EQ(group.members[0].member_id, "m1");
  EXPECT_EQ(group.members[0].group_instance_id, std::nullopt);
  EXPECT_EQ(group.members[0].client_id, "c1");
  EXPECT_EQ(group.members[0].client_host, "/127.0.0.1");
  EXPECT_TRUE(group.members[0].member_metadata.empty());
  write_fuzz_seed("ConsumerAssignment", fuzz::kConsumerAssignment, 0, group.members[0].member_assignment);
  const auto decoded = decode_consumer_assignment(group.members[0].member_assignment);
  ASSERT_EQ(decoded.assigned_partitions.size(), 1u);
  EXPECT_EQ(decoded.assigned_partitions[0].topic, "t");
  EXPECT_EQ(decoded.assigned_partitions[0].partitions, (std::vector<int32_t>{0, 3}));
}

// --- OffsetFetch (key 9): validVersions 0-9, flexible 6+; we implement 7 (one group, Kafka 2.8)
// and 8-9 (batched groups).

TEST(GoldenTest, OffsetFetchOneGroup) {
  const Spec spec{9, 0, 9, 6};
  OffsetFetchRequest request;
  request.group_id = "g";
  request.topics = std::vector<OffsetFetchRequest::Topic>{{"t1", {0, 1}}};
  request.require_stable = true;
  expect_request_bytes(
      spec, request, 7,
      cat({{0x02},
           text("g"),  // GroupId (0-7)
           {0x02},
           {0x03},
           text("t1"),                                              // Topics (0-7): 1, "t1"
           {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01},  // PartitionIndexes [0, 1]
           {0x00},                                                  // topic tags
           {0x01},                                                  // RequireStable (7+)
           {0x00}}));                                               // tags
  OffsetFetchRequest all;
  all.group_id = "h";
  all.topics = std::nullopt;
  expect_request_bytes(spec, all, 7,
                       cat({{0x02},
                            text("h"),               // GroupId
                            {0x00},                  // Topics (nullable 2-7) null: all
                            {0x00},                  // RequireStable false
                            {0x00}}));               // tags
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs (3+)
                          {0x02},
                          {0x03},
                          text("t1"),                                        // Topics: 1, "t1"
                          {0x03},                                            // Partitions: 2
                          {0x00, 0x00, 0x00, 0x00},                          // PartitionIndex 0
                          {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64},  // CommittedOffset 100
                          {0x00, 0x00, 0x00, 0x02},                          // CommittedLeaderEpoch (5-7) 2
                          {0x01},                                            // Metadata ""
                          {0x00, 0x00},                                      // ErrorCode
                          {0x00},                                            // tags
                          {0x00, 0x00, 0x00, 0x01},                          // PartitionIndex 1
                          repeat(0xff, 8),                                   // CommittedOffset -1
                          {0xff, 0xff, 0xff, 0xff},                          // CommittedLeaderEpoch -1
                          {0x00},                                            // Metadata null
                          {0x00, 0x58},  // ErrorCode 88 UNSTABLE_OFFSET_COMMIT
                          {0x00},        // tags
                          {0x00},        // topic tags
                          {0x00, 0x00},  // ErrorCode (2-7)
                          {0x00}});      // tags
  const auto response = decode_golden<OffsetFetchRequest>(response_frame(true, body), 7);
  EXPECT_EQ(response.error_code, 0);
  ASSERT_EQ(response.topics.size(), 1u);
  EXPECT_EQ(response.topics[0].name, "t1");
  const auto& partitions = response.topics[0].partitions;
  ASSERT_EQ(partitions.size(), 2u);
  EXPECT_EQ(partitions[0].partition_index, 0);
  EXPECT_EQ(partitions[0].committed_offset, 100);
  EXPECT_EQ(partitions[0].committed_leader_epoch, 2);
  EXPECT_EQ(partitions[0].metadata, std::optional<std::string>(""));
  EXPECT_EQ(partitions[1].partition_index, 1);
  EXPECT_EQ(partitions[1].committed_offset, -1);
  EXPECT_EQ(partitions[1].metadata, std::nullopt);
  EXPECT_EQ(partitions[1].error_code, 88);
  // A group-level error: no topics, the code at the top level.
  const Bytes failed = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                            {0x01},                    // Topics: 0
                            {0x00, 0x10},              // ErrorCode 16 NOT_COORDINATOR
                            {0x00}});                  // tags
  const auto refused = decode_golden<OffsetFetchRequest>(response_frame(true, failed), 7);
  EXPECT_EQ(refused.error_code, 16);
  EXPECT_TRUE(refused.topics.empty());
}

TEST(GoldenTest, OffsetFetch) {
  const Spec spec{9, 0, 9, 6};
  expect_within_spec<OffsetFetchRequest>(spec, {7, 8, 9});
  OffsetFetchRequest request;
  request.groups.push_back(
      {"g", std::string("m1"), 3, std::vector<OffsetFetchRequest::Topics>{{"t1", {0, 1}}}});
  request.groups.push_back({"h", std::nullopt, -1, std::nullopt});
  request.require_stable = true;
  for (int16_t v : {8, 9}) {
    SCOPED_TRACE("OffsetFetch v" + std::to_string(v));
    expect_request_bytes(
        spec, request, v,
        cat({{0x03},  // Groups: 2
             {0x02},
             text("g"),                                // GroupId
             when(v >= 9, cat({{0x03}, text("m1")})),  // MemberId (9+)
             when(v >= 9, {0x00, 0x00, 0x00, 0x03}),   // MemberEpoch (9+)
             {0x02},
             {0x03},
             text("t1"),                                              // Topics: 1, "t1"
             {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01},  // PartitionIndexes [0, 1]
             {0x00},                                                  // topic tags
             {0x00},                                                  // group tags
             {0x02},
             text("h"),                                // GroupId
             when(v >= 9, {0x00}),                     // MemberId (9+) null
             when(v >= 9, {0xff, 0xff, 0xff, 0xff}),   // MemberEpoch (9+) -1
             {0x00},                                   // Topics null: all
             {0x00},                                   // group tags
             {0x01},                                   // RequireStable (7+)
             {0x00}}));                                // tags
    const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                            {0x02},
                            {0x02},
                            text("g"),  // Groups: 1, "g"
                            {0x02},
                            {0x03},
                            text("t1"),                                        // Topics: 1, "t1"
                            {0x03},                                            // Partitions: 2
                            {0x00, 0x00, 0x00, 0x00},                          // PartitionIndex 0
                            {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64},  // CommittedOffset 100
                            {0x00, 0x00, 0x00, 0x02},                          // CommittedLeaderEpoch 2
                            {0x01},                                            // Metadata ""
                            {0x00, 0x00},                                      // ErrorCode
                            {0x00},                                            // tags
                            {0x00, 0x00, 0x00, 0x01},                          // PartitionIndex 1
                            repeat(0xff, 8),                                   // CommittedOffset -1
                            {0xff, 0xff, 0xff, 0xff},                          // CommittedLeaderEpoch -1
                            {0x00},                                            // Metadata null
                            {0x00, 0x00},                                      // ErrorCode
                            {0x00},                                            // tags
                            {0x00},                                            // topic tags
                            {0x00, 0x00},                                      // group ErrorCode
                            {0x00},                                            // group tags
                            {0x00}});                                          // tags
    const auto response = decode_golden<OffsetFetchRequest>(response_frame(true, body), v);
    ASSERT_EQ(response.groups.size(), 1u);
    EXPECT_EQ(response.groups[0].group_id, "g");
    EXPECT_EQ(response.groups[0].error_code, 0);
    ASSERT_EQ(response.groups[0].topics.size(), 1u);
    const auto& partitions = response.groups[0].topics[0].partitions;
    ASSERT_EQ(partitions.size(), 2u);
    EXPECT_EQ(partitions[0].committed_offset, 100);
    EXPECT_EQ(partitions[0].committed_leader_epoch, 2);
    EXPECT_EQ(partitions[0].metadata, std::optional<std::string>(""));
    EXPECT_EQ(partitions[1].partition_index, 1);
    EXPECT_EQ(partitions[1].committed_offset, -1);
    EXPECT_EQ(partitions[1].metadata, std::nullopt);
  }
}

// --- FindCoordinator (key 10): validVersions 0-6, flexible 3+; we implement 3 (one key, Kafka 2.8)
// and 4-6 (batched keys; v5 adds an error code, v6 share groups: the layout is v4's).

TEST(GoldenTest, FindCoordinatorOneKey) {
  const Spec spec{10, 0, 6, 3};
  FindCoordinatorRequest request;
  request.key = "tx";
  request.key_type = kTransactionCoordinator;
  expect_request_bytes(spec, request, 3,
                       cat({{0x03},
                            text("tx"),              // Key (0-3)
                            {0x01},                  // KeyType (1+) 1 = transaction
                            {0x00}}));               // tags (CoordinatorKeys is 4+ only)
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs (1+)
                          {0x00, 0x00},              // ErrorCode (0-3)
                          {0x00},                    // ErrorMessage (1-3) null
                          {0x00, 0x00, 0x00, 0x02},  // NodeId 2
                          kLocalhost,                // Host
                          {0x00, 0x00, 0x23, 0xe8},  // Port 9192
                          {0x00}});                  // tags
  const auto response = decode_golden<FindCoordinatorRequest>(response_frame(true, body), 3);
  EXPECT_EQ(response.error_code, 0);
  EXPECT_EQ(response.error_message, std::nullopt);
  EXPECT_EQ(response.node_id, 2);
  EXPECT_EQ(response.host, "127.0.0.1");
  EXPECT_EQ(response.port, 9192);
  const Bytes busy = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                          {0x00, 0x0f},              // COORDINATOR_NOT_AVAILABLE
                          {0x05},
                          text("busy"),              // ErrorMessage
                          {0xff, 0xff, 0xff, 0xff},  // NodeId -1
                          {0x01},                    // Host ""
                          {0xff, 0xff, 0xff, 0xff},  // Port -1
                          {0x00}});                  // tags
  const auto refused = decode_golden<FindCoordinatorRequest>(response_frame(true, busy), 3);
  EXPECT_EQ(refused.error_code, 15);
  EXPECT_EQ(refused.error_message, std::optional<std::string>("busy"));
  EXPECT_EQ(refused.node_id, -1);
  EXPECT_EQ(refused.host, "");
}

TEST(GoldenTest, FindCoordinator) {
  const Spec spec{10, 0, 6, 3};
  expect_within_spec<FindCoordinatorRequest>(spec, {3, 4, 5, 6});
  FindCoordinatorRequest request;
  request.key_type = kTransactionCoordinator;
  request.coordinator_keys = {"tx"};
  for (int16_t v : {4, 5, 6}) {
    SCOPED_TRACE("FindCoordinator v" + std::to_string(v));
    expect_request_bytes(spec, request, v,
                         cat({{0x01},  // KeyType (1+) 1 = transaction (Key is 0-3 only)
                              {0x02, 0x03},
                              text("tx"),              // CoordinatorKeys (4+): ["tx"]
                              {0x00}}));               // tags
    const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                            {0x03},                    // Coordinators: 2
                            {0x03},
                            text("tx"),                // Key
                            {0x00, 0x00, 0x00, 0x02},  // NodeId 2
                            kLocalhost,                // Host
                            {0x00, 0x00, 0x23, 0xe8},  // Port 9192
                            {0x00, 0x00},              // ErrorCode
                            {0x00},                    // ErrorMessage null
                            {0x00},                    // tags
                            {0x03},
                            text("ty"),                // Key
                            {0xff, 0xff, 0xff, 0xff},  // NodeId -1
                            {0x01},                    // Host ""
                            {0xff, 0xff, 0xff, 0xff},  // Port -1
                            {0x00, 0x0f},              // COORDINATOR_NOT_AVAILABLE
                            {0x05},
                            text("busy"),  // ErrorMessage
                            {0x00},        // tags
                            {0x00}});      // tags
    const auto response = decode_golden<FindCoordinatorRequest>(response_frame(true, body), v);
    ASSERT_EQ(response.coordinators.size(), 2u);
    EXPECT_EQ(response.coordinators[0].key, "tx");
    EXPECT_EQ(response.coordinators[0].node_id, 2);
    EXPECT_EQ(response.coordinators[0].host, "127.0.0.1");
    EXPECT_EQ(response.coordinators[0].port, 9192);
    EXPECT_EQ(response.coordinators[0].error_message, std::nullopt);
    EXPECT_EQ(response.coordinators[1].node_id, -1);
    EXPECT_EQ(response.coordinators[1].error_code, 15);
    EXPECT_EQ(response.coordinators[1].error_message, std::optional<std::string>("busy"));
  }
}

// --- DescribeConfigs (key 32): validVersions 0-4, flexible 4+; we implement 4.

TEST(GoldenTest, DescribeConfigs) {
  const Spec spec{32, 0, 4, 4};
  expect_within_spec<DescribeConfigsRequest>(spec, {4});
  DescribeConfigsRequest request;
  request.resources.push_back({2, "t1", std::vector<std::string>{"retention.ms"}});
  request.resources.push_back({4, "1", std::nullopt});
  request.include_synonyms = true;
  expect_request_bytes(spec, request, 4,
                       cat({{0x03},  // Resources: 2
                            {0x02},
                            {0x03},
                            text("t1"),  // TOPIC "t1"
                            {0x02, 0x0d},
                            text("retention.ms"),  // ConfigurationKeys ["retention.ms"]
                            {0x00},                // tags
                            {0x04},
                            {0x02},
                            text("1"),               // BROKER "1"
                            {0x00},                  // ConfigurationKeys null: all
                            {0x00},                  // tags
                            {0x01},                  // IncludeSynonyms (1+)
                            {0x00},                  // IncludeDocumentation (3+)
                            {0x00}}));               // tags
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                          {0x02},                    // Results: 1
                          {0x00, 0x00},              // ErrorCode
                          {0x00},                    // ErrorMessage null
                          {0x02},                    // ResourceType TOPIC
                          {0x03},
                          text("t1"),  // ResourceName
                          {0x02},      // Configs: 1
                          {0x0d},
                          text("retention.ms"),  // Name
                          {0x0a},
                          text("604800000"),  // Value
                          {0x00},             // ReadOnly (IsDefault is v0 only)
                          {0x05},             // ConfigSource (1+) DEFAULT_CONFIG
                          {0x00},             // IsSensitive
                          {0x02},             // Synonyms (1+): 1
                          {0x11},
                          text("log.retention.ms"),  // Name
                          {0x00},                    // Value null
                          {0x05},                    // Source
                          {0x00},                    // synonym tags
                          {0x05},                    // ConfigType (3+) LONG
                          {0x00},                    // Documentation (3+) null
                          {0x00},                    // config tags
                          {0x00},                    // result tags
                          {0x00}});                  // tags
  const auto response = decode_golden<DescribeConfigsRequest>(response_frame(true, body), 4);
  ASSERT_EQ(response.results.size(), 1u);
  EXPECT_EQ(response.results[0].resource_type, 2);
  EXPECT_EQ(response.results[0].resource_name, "t1");
  ASSERT_EQ(response.results[0].configs.size(), 1u);
  const auto& config = response.results[0].configs[0];
  EXPECT_EQ(config.name, "retention.ms");
  EXPECT_EQ(config.value, std::optional<std::string>("604800000"));
  EXPECT_FALSE(config.read_only);
  EXPECT_EQ(config.config_source, 5);
  EXPECT_FALSE(config.is_sensitive);
  ASSERT_EQ(config.synonyms.size(), 1u);
  EXPECT_EQ(config.synonyms[0].name, "log.retention.ms");
  EXPECT_EQ(config.synonyms[0].value, std::nullopt);
  EXPECT_EQ(config.config_type, 5);
  EXPECT_EQ(config.documentation, std::nullopt);
}

// --- DescribeLogDirs (key 35): validVersions 1-5, flexible 2+; we implement 2-5.

TEST(GoldenTest, DescribeLogDirs) {
  const Spec spec{35, 1, 5, 2};
  expect_within_spec<DescribeLogDirsRequest>(spec, {2, 3, 4, 5});
  DescribeLogDirsRequest all;
  all.topics = std::nullopt;  // every log dir
  DescribeLogDirsRequest some;
  some.topics = std::vector<DescribeLogDirsRequest::DescribableLogDirTopic>{{"t1", {0, 2}}};
  for (int16_t v : {2, 3, 4, 5}) {
    SCOPED_TRACE("DescribeLogDirs v" + std::to_string(v));
    expect_request_bytes(spec, all, v, {0x00 /* Topics null: all */, 0x00 /* tags */});
    expect_request_bytes(spec, some, v,
                         cat({{0x02},
                              {0x03},
                              text("t1"),                                              // Topics: 1, "t1"
                              {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02},  // Partitions [0, 2]
                              {0x00},                                                  // topic tags
                              {0x00}}));                                               // tags
    const Bytes body =
        cat({{0x00, 0x00, 0x00, 0x00},    // ThrottleTimeMs
             when(v >= 3, {0x00, 0x00}),  // ErrorCode (3+)
             {0x02},                      // Results: 1
             {0x00, 0x00},                // ErrorCode
             {0x0a},
             text("/data/kf1"),  // LogDir
             {0x02},
             {0x03},
             text("t1"),                                                      // Topics: 1, "t1"
             {0x02},                                                          // Partitions: 1
             {0x00, 0x00, 0x00, 0x02},                                        // PartitionIndex 2
             {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00},                // PartitionSize 65536
             {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03},                // OffsetLag 3
             {0x00},                                                          // IsFutureKey
             {0x00},                                                          // partition tags
             {0x00},                                                          // topic tags
             when(v >= 4, {0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}),  // TotalBytes (4+) 2^32
             when(v >= 4, {0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00}),  // UsableBytes (4+) 2^31
             when(v >= 5, {0x01}),                                            // IsCordoned (5+)
             {0x00},                                                          // result tags
             {0x00}});                                                        // tags
    const auto response = decode_golden<DescribeLogDirsRequest>(response_frame(true, body), v);
    EXPECT_EQ(response.error_code, 0);
    ASSERT_EQ(response.results.size(), 1u);
    const auto& dir = response.results[0];
    EXPECT_EQ(dir.log_dir, "/data/kf1");
    EXPECT_EQ(dir.total_bytes, v >= 4 ? 4294967296 : -1);
    EXPECT_EQ(dir.usable_bytes, v >= 4 ? 2147483648 : -1);
    EXPECT_EQ(dir.is_cordoned, v >= 5);
    ASSERT_EQ(dir.topics.size(), 1u);
    EXPECT_EQ(dir.topics[0].name, "t1");
    ASSERT_EQ(dir.topics[0].partitions.size(), 1u);
    EXPECT_EQ(dir.topics[0].partitions[0].partition_index, 2);
    EXPECT_EQ(dir.topics[0].partitions[0].partition_size, 65536);
    EXPECT_EQ(dir.topics[0].partitions[0].offset_lag, 3);
    EXPECT_FALSE(dir.topics[0].partitions[0].is_future_key);
  }
}

// --- SaslHandshake (key 17): validVersions 0-1, never flexible; we implement 1.

TEST(GoldenTest, SaslHandshake) {
  const Spec spec{17, 0, 1, -1};
  expect_within_spec<SaslHandshakeRequest>(spec, {1});
  SaslHandshakeRequest request;
  request.mechanism = "PLAIN";
  expect_request_bytes(spec, request, 1, cat({{0x00, 0x05}, text("PLAIN")}));  // Mechanism (classic)
  const Bytes body = cat({{0x00, 0x00},                                        // ErrorCode
                          {0x00, 0x00, 0x00, 0x02},  // Mechanisms: 2 (classic array)
                          {0x00, 0x05},
                          text("PLAIN"),
                          {0x00, 0x0d},
                          text("SCRAM-SHA-512")});
  const auto response = decode_golden<SaslHandshakeRequest>(response_frame(false, body), 1);
  EXPECT_EQ(response.error_code, 0);
  EXPECT_EQ(response.mechanisms, (std::vector<std::string>{"PLAIN", "SCRAM-SHA-512"}));
}

// --- SaslAuthenticate (key 36): validVersions 0-2, flexible 2+; we implement 0-2.

TEST(GoldenTest, SaslAuthenticate) {
  const Spec spec{36, 0, 2, 2};
  expect_within_spec<SaslAuthenticateRequest>(spec, {0, 1, 2});
  SaslAuthenticateRequest request;
  request.auth_bytes = {0x00, 'u', 0x00, 'p'};  // PLAIN: authzid NUL user NUL password
  for (int16_t v : {0, 1, 2}) {
    SCOPED_TRACE("SaslAuthenticate v" + std::to_string(v));
    const bool flexible = v >= 2;
    expect_request_bytes(spec, request, v,
                         cat({flexible ? Bytes{0x05} : Bytes{0x00, 0x00, 0x00, 0x04},  // AuthBytes length 4
                              {0x00, 'u', 0x00, 'p'},
                              when(flexible, {0x00})}));  // tags
    const Bytes body =
        cat({{0x00, 0x00},                                            // ErrorCode
             flexible ? Bytes{0x00} : Bytes{0xff, 0xff},              // ErrorMessage null
             flexible ? Bytes{0x03} : Bytes{0x00, 0x00, 0x00, 0x02},  // AuthBytes length 2
             text("ok"),
             when(v >= 1, {0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0xee, 0x80}),  // SessionLifetimeMs (1+) 1h
             when(flexible, {0x00})});                                        // tags
    const auto response = decode_golden<SaslAuthenticateRequest>(response_frame(flexible, body), v);
    EXPECT_EQ(response.error_code, 0);
    EXPECT_EQ(response.error_message, std::nullopt);
    EXPECT_EQ(response.auth_bytes, (Bytes{'o', 'k'}));
    EXPECT_EQ(response.session_lifetime_ms, v >= 1 ? 3600000 : 0);
  }
}

TEST(GoldenTest, SaslAuthenticateFailureCarriesTheBrokersMessage) {
  const Bytes body = cat({{0x00, 0x3a},  // SASL_AUTHENTICATION_FAILED (58)
                          {0x07},
                          text("denied"),   // ErrorMessage
                          {0x01},           // AuthBytes empty
                          repeat(0x00, 8),  // SessionLifetimeMs 0
                          {0x00}});         // tags
  const auto response = decode_golden<SaslAuthenticateRequest>(response_frame(true, body), 2);
  EXPECT_EQ(response.error_code, 58);
  EXPECT_EQ(response.error_message, std::optional<std::string>("denied"));
  EXPECT_TRUE(response.auth_bytes.empty());
}

// --- ListPartitionReassignments (key 46): validVersions 0, flexible 0+.

TEST(GoldenTest, ListPartitionReassignments) {
  const Spec spec{46, 0, 0, 0};
  expect_within_spec<ListPartitionReassignmentsRequest>(spec, {0});
  ListPartitionReassignmentsRequest all;
  all.topics = std::nullopt;  // every reassignment
  expect_request_bytes(spec, all, 0,
                       {0x00, 0x00, 0xea, 0x60,  // TimeoutMs 60000 (the spec's default)
                        0x00,                    // Topics null: all
                        0x00});                  // tags
  ListPartitionReassignmentsRequest some;
  some.timeout_ms = 30000;
  some.topics = std::vector<ListPartitionReassignmentsRequest::ListPartitionReassignmentsTopics>{{"t1", {1}}};
  expect_request_bytes(spec, some, 0,
                       cat({{0x00, 0x00, 0x75, 0x30},  // TimeoutMs 30000
                            {0x02},
                            {0x03},
                            text("t1"),                      // Topics: 1, "t1"
                            {0x02, 0x00, 0x00, 0x00, 0x01},  // PartitionIndexes [1]
                            {0x00},                          // topic tags
                            {0x00}}));                       // tags
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},          // ThrottleTimeMs
                          {0x00, 0x00},                      // ErrorCode
                          {0x00},                            // ErrorMessage null
                          {0x02},
                          {0x03},
                          text("t1"),                // Topics: 1, "t1"
                          {0x02},                    // Partitions: 1
                          {0x00, 0x00, 0x00, 0x01},  // PartitionIndex 1
                          {0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00,
                           0x00, 0x00, 0x04},              // Replicas [1, 2, 3, 4]
                          {0x02, 0x00, 0x00, 0x00, 0x03},  // AddingReplicas [3]
                          {0x02, 0x00, 0x00, 0x00, 0x04},  // RemovingReplicas [4]
                          {0x00},                          // partition tags
                          {0x00},                          // topic tags
                          {0x00}});                        // tags
  const auto response = decode_golden<ListPartitionReassignmentsRequest>(response_frame(true, body), 0);
  EXPECT_EQ(response.error_code, 0);
  EXPECT_EQ(response.error_message, std::nullopt);
  ASSERT_EQ(response.topics.size(), 1u);
  EXPECT_EQ(response.topics[0].name, "t1");
  ASSERT_EQ(response.topics[0].partitions.size(), 1u);
  const auto& partition = response.topics[0].partitions[0];
  EXPECT_EQ(partition.partition_index, 1);
  EXPECT_EQ(partition.replicas, (std::vector<int32_t>{1, 2, 3, 4}));
  EXPECT_EQ(partition.adding_replicas, (std::vector<int32_t>{3}));
  EXPECT_EQ(partition.removing_replicas, (std::vector<int32_t>{4}));
}

// --- DescribeCluster (key 60): validVersions 0-2, flexible 0+.

TEST(GoldenTest, DescribeCluster) {
  const Spec spec{60, 0, 2, 0};
  expect_within_spec<DescribeClusterRequest>(spec, {0, 1, 2});
  DescribeClusterRequest request;
  for (int16_t v : {0, 1, 2}) {
    SCOPED_TRACE("DescribeCluster v" + std::to_string(v));
    expect_request_bytes(spec, request, v,
                         cat({{0x00},                  // IncludeClusterAuthorizedOperations
                              when(v >= 1, {0x01}),    // EndpointType (1+) 1 = brokers
                              when(v >= 2, {0x00}),    // IncludeFencedBrokers (2+)
                              {0x00}}));               // tags
    const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                            {0x00, 0x00},              // ErrorCode
                            {0x00},                    // ErrorMessage null
                            when(v >= 1, {0x01}),      // EndpointType (1+)
                            {0x17},
                            text("pv5Z2AMgqLNafsccjYJD-g"),  // ClusterId
                            {0x00, 0x00, 0x00, 0x01},        // ControllerId 1
                            {0x02},                          // Brokers: 1
                            {0x00, 0x00, 0x00, 0x03},        // BrokerId 3
                            kLocalhost,                      // Host
                            {0x00, 0x00, 0x24, 0x4c},        // Port 9292
                            {0x03},
                            text("r3"),                // Rack "r3"
                            when(v >= 2, {0x00}),      // IsFenced (2+)
                            {0x00},                    // broker tags
                            {0x80, 0x00, 0x00, 0x00},  // ClusterAuthorizedOperations
                            {0x00}});                  // tags
    const auto response = decode_golden<DescribeClusterRequest>(response_frame(true, body), v);
    EXPECT_EQ(response.error_code, 0);
    EXPECT_EQ(response.endpoint_type, 1);
    EXPECT_EQ(response.cluster_id, "pv5Z2AMgqLNafsccjYJD-g");
    EXPECT_EQ(response.controller_id, 1);
    ASSERT_EQ(response.brokers.size(), 1u);
    EXPECT_EQ(response.brokers[0].broker_id, 3);
    EXPECT_EQ(response.brokers[0].port, 9292);
    EXPECT_EQ(response.brokers[0].rack, std::optional<std::string>("r3"));
    EXPECT_EQ(response.cluster_authorized_operations, INT32_MIN);
  }
}

// --- DescribeQuorum (key 55): validVersions 0-2, flexible 0+.

TEST(GoldenTest, DescribeQuorum) {
  const Spec spec{55, 0, 2, 0};
  expect_within_spec<DescribeQuorumRequest>(spec, {0, 1, 2});
  DescribeQuorumRequest request;
  request.topics.push_back({"__cluster_metadata", {{0}}});
  const Bytes metadata_topic = cat({{0x13}, text("__cluster_metadata")});
  for (int16_t v : {0, 1, 2}) {
    SCOPED_TRACE("DescribeQuorum v" + std::to_string(v));
    expect_request_bytes(spec, request, v,
                         cat({{0x02},
                              metadata_topic,                        // Topics: 1
                              {0x02, 0x00, 0x00, 0x00, 0x00, 0x00},  // Partitions: [0], tags
                              {0x00},                                // topic tags
                              {0x00}}));                             // tags
    // ReplicaState: ReplicaId, ReplicaDirectoryId (2+), LogEndOffset,
    // LastFetchTimestamp (1+), LastCaughtUpTimestamp (1+), tags.
    const auto replica = [v](uint8_t id, uint8_t directory_byte, const Bytes& log_end, const Bytes& fetch,
                             const Bytes& caught_up) {
      return cat({{0x00, 0x00, 0x00, id},
                  when(v >= 2, repeat(directory_byte, 16)),
                  log_end,
                  when(v >= 1, fetch),
                  when(v >= 1, caught_up),
                  {0x00}});
    };
    const Bytes t1700000000000 = {0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00};
    const Bytes t1699999999900 = {0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x67, 0x9c};
    const Bytes body = cat(
        {{0x00, 0x00},          // ErrorCode
         when(v >= 2, {0x00}),  // ErrorMessage (2+) null
         {0x02},
         metadata_topic,                                    // Topics: 1
         {0x02},                                            // Partitions: 1
         {0x00, 0x00, 0x00, 0x00},                          // PartitionIndex 0
         {0x00, 0x00},                                      // ErrorCode
         when(v >= 2, {0x00}),                              // ErrorMessage (2+) null
         {0x00, 0x00, 0x00, 0x02},                          // LeaderId 2
         {0x00, 0x00, 0x00, 0x09},                          // LeaderEpoch 9
         {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2},  // HighWatermark 1234
         {0x03},                                            // CurrentVoters: 2
         replica(2, 0xaa, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2}, t1700000000000, t1700000000000),
         replica(3, 0xbb, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd0}, t1699999999900, repeat(0xff, 8)),
         {0x02},  // Observers: 1
         replica(4, 0xcc, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0}, repeat(0xff, 8), repeat(0xff, 8)),
         {0x00},                                      // partition tags
         {0x00},                                      // topic tags
         when(v >= 2, cat({{0x02},                    // Nodes (2+): 1
                           {0x00, 0x00, 0x00, 0x02},  // NodeId 2
                           {0x02},                    // Listeners: 1
                           {0x0b},
                           text("CONTROLLER"),
                           kLocalhost,    // Name, Host
                           {0x23, 0x85},  // Port (uint16) 9093
                           {0x00},        // listener tags
                           {0x00}})),     // node tags
         {0x00}});                        // tags
    const auto response = decode_golden<DescribeQuorumRequest>(response_frame(true, body), v);
    EXPECT_EQ(response.error_code, 0);
    ASSERT_EQ(response.topics.size(), 1u);
    EXPECT_EQ(response.topics[0].topic_name, "__cluster_metadata");
    ASSERT_EQ(response.topics[0].partitions.size(), 1u);
    const auto& partition = response.topics[0].partitions[0];
    EXPECT_EQ(partition.leader_id, 2);
    EXPECT_EQ(partition.leader_epoch, 9);
    EXPECT_EQ(partition.high_watermark, 1234);
    ASSERT_EQ(partition.current_voters.size(), 2u);
    EXPECT_EQ(partition.current_voters[0].replica_id, 2);
    EXPECT_EQ(partition.current_voters[0].replica_directory_id[0], v >= 2 ? 0xaa : 0x00);
    EXPECT_EQ(partition.current_voters[0].log_end_offset, 1234);
    EXPECT_EQ(partition.current_voters[0].last_fetch_timestamp, v >= 1 ? 1700000000000 : -1);
    EXPECT_EQ(partition.current_voters[1].replica_id, 3);
    EXPECT_EQ(partition.current_voters[1].log_end_offset, 1232);
    EXPECT_EQ(partition.current_voters[1].last_fetch_timestamp, v >= 1 ? 1699999999900 : -1);
    EXPECT_EQ(partition.current_voters[1].last_caught_up_timestamp, -1);
    ASSERT_EQ(partition.observers.size(), 1u);
    EXPECT_EQ(partition.observers[0].replica_id, 4);
    EXPECT_EQ(partition.observers[0].log_end_offset, 1216);
  }
}

// --- ListTransactions (key 66): validVersions 0-2, flexible 0+.

TEST(GoldenTest, ListTransactions) {
  const Spec spec{66, 0, 2, 0};
  expect_within_spec<ListTransactionsRequest>(spec, {0, 1, 2});
  ListTransactionsRequest request;
  request.state_filters = {"Ongoing"};
  request.producer_id_filters = {7};
  request.duration_filter = 60000;
  for (int16_t v : {0, 1, 2}) {
    SCOPED_TRACE("ListTransactions v" + std::to_string(v));
    expect_request_bytes(
        spec, request, v,
        cat({{0x02, 0x08},
             text("Ongoing"),                                                 // StateFilters
             {0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07},          // ProducerIdFilters [7]
             when(v >= 1, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0x60}),  // DurationFilter (1+)
             when(v >= 2, {0x00}),                     // TransactionalIdPattern (2+) null
             {0x00}}));                                // tags
    const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                            {0x00, 0x00},              // ErrorCode
                            {0x02, 0x04},
                            text("Bad"),  // UnknownStateFilters ["Bad"]
                            {0x02},       // TransactionStates: 1
                            {0x04},
                            text("tx1"),                                       // TransactionalId
                            {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07},  // ProducerId 7
                            {0x08},
                            text("Ongoing"),  // TransactionState
                            {0x00},           // tags
                            {0x00}});         // tags
    const auto response = decode_golden<ListTransactionsRequest>(response_frame(true, body), v);
    EXPECT_EQ(response.error_code, 0);
    EXPECT_EQ(response.unknown_state_filters, (std::vector<std::string>{"Bad"}));
    ASSERT_EQ(response.transaction_states.size(), 1u);
    EXPECT_EQ(response.transaction_states[0].transactional_id, "tx1");
    EXPECT_EQ(response.transaction_states[0].producer_id, 7);
    EXPECT_EQ(response.transaction_states[0].transaction_state, "Ongoing");
  }
}

// --- DescribeTransactions (key 65): validVersions 0, flexible 0+.

TEST(GoldenTest, DescribeTransactions) {
  const Spec spec{65, 0, 0, 0};
  expect_within_spec<DescribeTransactionsRequest>(spec, {0});
  DescribeTransactionsRequest request;
  request.transactional_ids = {"tx1", "tx2"};
  expect_request_bytes(spec, request, 0,
                       cat({{0x03, 0x04},
                            text("tx1"),
                            {0x04},
                            text("tx2"),             // TransactionalIds
                            {0x00}}));               // tags
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                          {0x03},                    // TransactionStates: 2
                          {0x00, 0x00},              // ErrorCode
                          {0x04},
                          text("tx1"),  // TransactionalId
                          {0x08},
                          text("Ongoing"),                                   // TransactionState
                          {0x00, 0x00, 0xea, 0x60},                          // TransactionTimeoutMs 60000
                          {0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00},  // TransactionStartTimeMs
                          {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07},  // ProducerId 7
                          {0x00, 0x02},                                      // ProducerEpoch (int16) 2
                          {0x02},
                          {0x03},
                          text("t1"),                                              // Topics: 1, "t1"
                          {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04},  // Partitions [0, 4]
                          {0x00},                                                  // topic tags
                          {0x00},                                                  // state tags
                          {0x00, 0x69},  // TRANSACTIONAL_ID_NOT_FOUND
                          {0x04},
                          text("tx2"),
                          {0x01},  // TransactionState ""
                          {0x00, 0x00, 0x00, 0x00},
                          repeat(0xff, 8),  // start -1
                          repeat(0xff, 8),  // ProducerId -1
                          {0xff, 0xff},     // ProducerEpoch -1
                          {0x01},           // Topics: empty
                          {0x00},           // state tags
                          {0x00}});         // tags
  const auto response = decode_golden<DescribeTransactionsRequest>(response_frame(true, body), 0);
  ASSERT_EQ(response.transaction_states.size(), 2u);
  const auto& open = response.transaction_states[0];
  EXPECT_EQ(open.error_code, 0);
  EXPECT_EQ(open.transactional_id, "tx1");
  EXPECT_EQ(open.transaction_state, "Ongoing");
  EXPECT_EQ(open.transaction_timeout_ms, 60000);
  EXPECT_EQ(open.transaction_start_time_ms, 1700000000000);
  EXPECT_EQ(open.producer_id, 7);
  EXPECT_EQ(open.producer_epoch, 2);
  ASSERT_EQ(open.topics.size(), 1u);
  EXPECT_EQ(open.topics[0].topic, "t1");
  EXPECT_EQ(open.topics[0].partitions, (std::vector<int32_t>{0, 4}));
  EXPECT_EQ(response.transaction_states[1].error_code, 105);
  EXPECT_EQ(response.transaction_states[1].transactional_id, "tx2");
  EXPECT_EQ(response.transaction_states[1].producer_epoch, -1);
}

TEST(GoldenTest, DescribeTransactionsOfSmallestEntries) {
  // The smallest TransactionState the spec allows is 28 bytes (empty strings, no topics);
  // two of them must not be taken for a lying array length.
  const Bytes smallest = cat({{0x00, 0x69},     // ErrorCode
                              {0x01},           // TransactionalId ""
                              {0x01},           // TransactionState ""
                              repeat(0x00, 4),  // TransactionTimeoutMs
                              repeat(0x00, 8),  // TransactionStartTimeMs
                              repeat(0x00, 8),  // ProducerId
                              repeat(0x00, 2),  // ProducerEpoch
                              {0x01},           // Topics: empty
                              {0x00}});         // tags
  ASSERT_EQ(smallest.size(), 28u);
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00}, {0x03}, smallest, smallest, {0x00}});
  const auto response = decode_golden<DescribeTransactionsRequest>(response_frame(true, body), 0);
  ASSERT_EQ(response.transaction_states.size(), 2u);
  EXPECT_EQ(response.transaction_states[1].error_code, 105);
}

// --- DescribeProducers (key 61): validVersions 0, flexible 0+.

TEST(GoldenTest, DescribeProducers) {
  const Spec spec{61, 0, 0, 0};
  expect_within_spec<DescribeProducersRequest>(spec, {0});
  DescribeProducersRequest request;
  request.topics.push_back({"t1", {0, 1}});
  expect_request_bytes(
      spec, request, 0,
      cat({{0x02},
           {0x03},
           text("t1"),                                              // Topics: 1, "t1"
           {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01},  // PartitionIndexes [0, 1]
           {0x00},                                                  // topic tags
           {0x00}}));                                               // tags
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},                 // ThrottleTimeMs
                          {0x02},
                          {0x03},
                          text("t1"),                                        // Topics: 1, "t1"
                          {0x03},                                            // Partitions: 2
                          {0x00, 0x00, 0x00, 0x00},                          // PartitionIndex 0
                          {0x00, 0x00},                                      // ErrorCode
                          {0x00},                                            // ErrorMessage null
                          {0x02},                                            // ActiveProducers: 1
                          {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07},  // ProducerId 7
                          {0x00, 0x00, 0x00, 0x02},                          // ProducerEpoch (int32) 2
                          {0x00, 0x00, 0x00, 0x63},                          // LastSequence 99
                          {0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00},  // LastTimestamp
                          {0x00, 0x00, 0x00, 0x01},                          // CoordinatorEpoch 1
                          {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a},  // CurrentTxnStartOffset 42
                          {0x00},                                            // producer tags
                          {0x00},                                            // partition tags
                          {0x00, 0x00, 0x00, 0x01},                          // PartitionIndex 1
                          {0x00, 0x06},                                      // NOT_LEADER_OR_FOLLOWER
                          {0x0b},
                          text("not leader"),  // ErrorMessage
                          {0x01},              // ActiveProducers: none
                          {0x00},              // partition tags
                          {0x00},              // topic tags
                          {0x00}});            // tags
  const auto response = decode_golden<DescribeProducersRequest>(response_frame(true, body), 0);
  ASSERT_EQ(response.topics.size(), 1u);
  ASSERT_EQ(response.topics[0].partitions.size(), 2u);
  const auto& led = response.topics[0].partitions[0];
  ASSERT_EQ(led.active_producers.size(), 1u);
  const auto& producer = led.active_producers[0];
  EXPECT_EQ(producer.producer_id, 7);
  EXPECT_EQ(producer.producer_epoch, 2);
  EXPECT_EQ(producer.last_sequence, 99);
  EXPECT_EQ(producer.last_timestamp, 1700000000000);
  EXPECT_EQ(producer.coordinator_epoch, 1);
  EXPECT_EQ(producer.current_txn_start_offset, 42);
  const auto& not_led = response.topics[0].partitions[1];
  EXPECT_EQ(not_led.error_code, 6);
  EXPECT_EQ(not_led.error_message, std::optional<std::string>("not leader"));
  EXPECT_TRUE(not_led.active_producers.empty());
}

// --- DescribeClientQuotas (key 48): validVersions 0-1, flexible 1+; we implement 1.

TEST(GoldenTest, DescribeClientQuotas) {
  const Spec spec{48, 0, 1, 1};
  expect_within_spec<DescribeClientQuotasRequest>(spec, {1});
  DescribeClientQuotasRequest request;
  request.components.push_back({"user", 0, std::string("alice")});
  request.components.push_back({"client-id", 2, std::nullopt});
  request.strict = true;
  expect_request_bytes(spec, request, 1,
                       cat({{0x03},  // Components: 2
                            {0x05},
                            text("user"),  // EntityType
                            {0x00},        // MatchType 0 = exact
                            {0x06},
                            text("alice"),  // Match
                            {0x00},         // tags
                            {0x0a},
                            text("client-id"),
                            {0x02},                  // MatchType 2 = any
                            {0x00},                  // Match null
                            {0x00},                  // tags
                            {0x01},                  // Strict
                            {0x00}}));               // tags
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                          {0x00, 0x00},              // ErrorCode
                          {0x00},                    // ErrorMessage null
                          {0x02},                    // Entries: 1
                          {0x03},                    // Entity: 2
                          {0x05},
                          text("user"),
                          {0x06},
                          text("alice"),
                          {0x00},
                          {0x0a},
                          text("client-id"),
                          {0x00},
                          {0x00},  // EntityName null = default
                          {0x03},  // Values: 2
                          {0x13},
                          text("producer_byte_rate"),
                          {0x40, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
                          {0x00},  // 1024.0
                          {0x13},
                          text("consumer_byte_rate"),
                          {0x40, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
                          {0x00},    // 2048.0
                          {0x00},    // entry tags
                          {0x00}});  // tags
  const auto response = decode_golden<DescribeClientQuotasRequest>(response_frame(true, body), 1);
  EXPECT_EQ(response.error_code, 0);
  ASSERT_TRUE(response.entries.has_value());
  ASSERT_EQ(response.entries->size(), 1u);
  const auto& entry = response.entries->at(0);
  ASSERT_EQ(entry.entity.size(), 2u);
  EXPECT_EQ(entry.entity[0].entity_type, "user");
  EXPECT_EQ(entry.entity[0].entity_name, std::optional<std::string>("alice"));
  EXPECT_EQ(entry.entity[1].entity_type, "client-id");
  EXPECT_EQ(entry.entity[1].entity_name, std::nullopt);
  ASSERT_EQ(entry.values.size(), 2u);
  EXPECT_EQ(entry.values[0].key, "producer_byte_rate");
  EXPECT_EQ(entry.values[0].value, 1024.0);
  EXPECT_EQ(entry.values[1].key, "consumer_byte_rate");
  EXPECT_EQ(entry.values[1].value, 2048.0);

  const Bytes failed = cat({{0x00, 0x00, 0x00, 0x00},
                            {0x00, 0x2a},  // INVALID_REQUEST
                            {0x04},
                            text("bad"),  // ErrorMessage
                            {0x00},       // Entries null
                            {0x00}});
  const auto error = decode_golden<DescribeClientQuotasRequest>(response_frame(true, failed), 1);
  EXPECT_EQ(error.error_code, 42);
  EXPECT_EQ(error.error_message, std::optional<std::string>("bad"));
  EXPECT_FALSE(error.entries.has_value());
}

// --- ElectLeaders (key 43): validVersions 0-2, flexible 2+; we implement 1-2.

TEST(GoldenTest, ElectLeaders) {
  const Spec spec{43, 0, 2, 2};
  expect_within_spec<ElectLeadersRequest>(spec, {1, 2});
  ElectLeadersRequest request;
  request.topic_partitions->push_back({"t1", {2}});
  request.timeout_ms = 5000;
  for (int16_t v : {1, 2}) {
    SCOPED_TRACE("ElectLeaders v" + std::to_string(v));
    const bool flexible = v >= 2;
    expect_request_bytes(spec, request, v,
                         flexible ? cat({{0x00},  // ElectionType (1+) preferred
                                         {0x02},
                                         {0x03},
                                         text("t1"),                      // TopicPartitions: 1, "t1"
                                         {0x02, 0x00, 0x00, 0x00, 0x02},  // Partitions [2]
                                         {0x00},                          // tags
                                         {0x00, 0x00, 0x13, 0x88},        // TimeoutMs 5000
                                         {0x00}})                         // tags
                                  : cat({{0x00},
                                         {0x00, 0x00, 0x00, 0x01},
                                         {0x00, 0x02},
                                         text("t1"),
                                         {0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02},
                                         {0x00, 0x00, 0x13, 0x88}}));
    const Bytes body = flexible ? cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                                       {0x00, 0x00},              // ErrorCode (1+)
                                       {0x02},
                                       {0x03},
                                       text("t1"),                // ReplicaElectionResults: 1, "t1"
                                       {0x02},                    // PartitionResult: 1
                                       {0x00, 0x00, 0x00, 0x02},  // PartitionId 2
                                       {0x00, 0x54},              // ELECTION_NOT_NEEDED (84)
                                       {0x03},
                                       text("ok"),  // ErrorMessage
                                       {0x00},
                                       {0x00},
                                       {0x00}})  // partition, topic, top-level tags
                                : cat({{0x00, 0x00, 0x00, 0x00},
                                       {0x00, 0x00},
                                       {0x00, 0x00, 0x00, 0x01},
                                       {0x00, 0x02},
                                       text("t1"),
                                       {0x00, 0x00, 0x00, 0x01},
                                       {0x00, 0x00, 0x00, 0x02},
                                       {0x00, 0x54},
                                       {0x00, 0x02},
                                       text("ok")});
    const auto response = decode_golden<ElectLeadersRequest>(response_frame(flexible, body), v);
    EXPECT_EQ(response.error_code, 0);
    ASSERT_EQ(response.replica_election_results.size(), 1u);
    const auto& result = response.replica_election_results[0];
    EXPECT_EQ(result.topic, "t1");
    ASSERT_EQ(result.partition_result.size(), 1u);
    EXPECT_EQ(result.partition_result[0].partition_id, 2);
    EXPECT_EQ(result.partition_result[0].error_code, 84);
    EXPECT_EQ(result.partition_result[0].error_message, std::optional<std::string>("ok"));
  }
}

// --- Fetch (key 1): validVersions 4-18, flexible 12+; we implement 4-11 (topics by name,
// never flexible). Records are raw bytes for kafka/wire/record_batch.

TEST(GoldenTest, Fetch) {
  const Spec spec{1, 4, 18, 12};
  expect_within_spec<FetchRequest>(spec, {4, 5, 6, 7, 8, 9, 10, 11});
  FetchRequest request;
  request.max_wait_ms = 0;
  request.min_bytes = 1;
  request.max_bytes = 4096;
  request.isolation_level = 1;
  request.topics.push_back({"t1", {{2, 5, 100, -1, 1024}}});
  for (int16_t v : {4, 5, 6, 7, 8, 9, 10, 11}) {
    SCOPED_TRACE("Fetch v" + std::to_string(v));
    expect_request_bytes(spec, request, v,
                         cat({repeat(0xff, 4),                         // ReplicaId -1 (0-14)
                              {0x00, 0x00, 0x00, 0x00},                // MaxWaitMs 0
                              {0x00, 0x00, 0x00, 0x01},                // MinBytes 1
                              {0x00, 0x00, 0x10, 0x00},                // MaxBytes (3+) 4096
                              {0x01},                                  // IsolationLevel (4+)
                              when(v >= 7, {0x00, 0x00, 0x00, 0x00}),  // SessionId (7+) 0
                              when(v >= 7, repeat(0xff, 4)),           // SessionEpoch (7+) -1
                              {0x00, 0x00, 0x00, 0x01},
                              {0x00, 0x02},
                              text("t1"),                                        // Topics: 1, "t1" (0-12)
                              {0x00, 0x00, 0x00, 0x01},                          // Partitions: 1
                              {0x00, 0x00, 0x00, 0x02},                          // Partition 2
                              when(v >= 9, {0x00, 0x00, 0x00, 0x05}),            // CurrentLeaderEpoch (9+) 5
                              {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64},  // FetchOffset 100
                              when(v >= 5, repeat(0xff, 8)),                     // LogStartOffset (5+) -1
                              {0x00, 0x00, 0x04, 0x00},                          // PartitionMaxBytes 1024
                              when(v >= 7, {0x00, 0x00, 0x00, 0x00}),  // ForgottenTopicsData (7+): 0
                              when(v >= 11, {0x00, 0x00})}));          // RackId (11+) ""
    const Bytes records = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00};  // a cut batch
    const Bytes body =
        cat({{0x00, 0x00, 0x00, 0x00},                // ThrottleTimeMs (1+)
             when(v >= 7, {0x00, 0x00}),              // ErrorCode (7+)
             when(v >= 7, {0x00, 0x00, 0x00, 0x00}),  // SessionId (7+)
             {0x00, 0x00, 0x00, 0x01},
             {0x00, 0x02},
             text("t1"),                                                      // Responses: 1, "t1"
             {0x00, 0x00, 0x00, 0x01},                                        // Partitions: 1
             {0x00, 0x00, 0x00, 0x02},                                        // PartitionIndex 2
             {0x00, 0x00},                                                    // ErrorCode
             {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8},                // HighWatermark 200
             {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc7},                // LastStableOffset (4+) 199
             when(v >= 5, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a}),  // LogStartOffset (5+) 10
             {0x00, 0x00, 0x00, 0x01},                                        // AbortedTransactions (4+): 1
             {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07},                // ProducerId 7
             {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x96},                // FirstOffset 150
             when(v >= 11, {0x00, 0x00, 0x00, 0x03}),                         // PreferredReadReplica (11+) 3
             {0x00, 0x00, 0x00, 0x0a},
             records});  // Records: 10 bytes
    const auto response = decode_golden<FetchRequest>(response_frame(false, body), v);
    ASSERT_EQ(response.responses.size(), 1u);
    EXPECT_EQ(response.responses[0].topic, "t1");
    ASSERT_EQ(response.responses[0].partitions.size(), 1u);
    const auto& partition = response.responses[0].partitions[0];
    EXPECT_EQ(partition.partition_index, 2);
    EXPECT_EQ(partition.high_watermark, 200);
    EXPECT_EQ(partition.last_stable_offset, 199);
    EXPECT_EQ(partition.log_start_offset, v >= 5 ? 10 : -1);
    ASSERT_TRUE(partition.aborted_transactions.has_value());
    ASSERT_EQ(partition.aborted_transactions->size(), 1u);
    EXPECT_EQ(partition.aborted_transactions->at(0).first_offset, 150);
    EXPECT_EQ(partition.preferred_read_replica, v >= 11 ? 3 : -1);
    EXPECT_EQ(partition.records, records);
  }
}

// Every API of tools/kafka-codegen/apis.txt (kse::kafka::AllRequests) has golden frames
// above, and so seeds in the fuzz corpus.
template <size_t... I>
std::vector<std::string> all_api_names(std::index_sequence<I...>) {
  return {std::tuple_element_t<I, AllRequests>::kName...};
}

// --- ConsumerGroupDescribe (key 69): validVersions 0-1, flexible 0+.

TEST(GoldenTest, ConsumerGroupDescribe) {
  const Spec spec{69, 0, 1, 0};
  expect_within_spec<ConsumerGroupDescribeRequest>(spec, {0, 1});
  ConsumerGroupDescribeRequest request;
  request.group_ids = {"g1"};
  const Bytes topic_id = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                          0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
  for (int16_t v : {0, 1}) {
    SCOPED_TRACE("ConsumerGroupDescribe v" + std::to_string(v));
    expect_request_bytes(spec, request, v,
                         cat({{0x02},
                              {0x03},
                              text("g1"),              // GroupIds ["g1"]
                              {0x00},                  // IncludeAuthorizedOperations false
                              {0x00}}));               // tags
    const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                            {0x02},                    // Groups: 1
                            {0x00, 0x00},              // ErrorCode
                            {0x00},                    // ErrorMessage null
                            {0x03},
                            text("g1"),  // GroupId
                            {0x07},
                            text("Stable"),            // GroupState
                            {0x00, 0x00, 0x00, 0x05},  // GroupEpoch 5
                            {0x00, 0x00, 0x00, 0x05},  // AssignmentEpoch 5
                            {0x08},
                            text("uniform"),  // AssignorName
                            {0x02},           // Members: 1
                            {0x03},
                            text("m1"),                // MemberId
                            {0x00},                    // InstanceId null
                            {0x00},                    // RackId null
                            {0x00, 0x00, 0x00, 0x05},  // MemberEpoch 5
                            {0x03},
                            text("c1"),  // ClientId
                            {0x0b},
                            text("/127.0.0.1"),  // ClientHost
                            {0x02},
                            {0x03},
                            text("t1"),  // SubscribedTopicNames ["t1"]
                            {0x00},      // SubscribedTopicRegex null
                            {0x02},
                            topic_id,
                            {0x03},
                            text("t1"),  // Assignment: 1 topic, id, name
                            {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02},  //   Partitions [0, 2]
                            {0x00},                                                  //   topic tags
                            {0x00},                                                  // Assignment tags
                            {0x01},
                            {0x00},                    // TargetAssignment: no topic, tags
                            when(v >= 1, {0x01}),      // MemberType (1+) consumer
                            {0x00},                    // member tags
                            {0x80, 0x00, 0x00, 0x00},  // AuthorizedOperations
                            {0x00},                    // group tags
                            {0x00}});                  // tags
    const auto response = decode_golden<ConsumerGroupDescribeRequest>(response_frame(true, body), v);
    ASSERT_EQ(response.groups.size(), 1u);
    const auto& group = response.groups[0];
    EXPECT_EQ(group.error_code, 0);
    EXPECT_EQ(group.group_id, "g1");
    EXPECT_EQ(group.group_state, "Stable");
    EXPECT_EQ(group.group_epoch, 5);
    EXPECT_EQ(group.assignor_name, "uniform");
    ASSERT_EQ(group.members.size(), 1u);
    const auto& member = group.members[0];
    EXPECT_EQ(member.member_id, "m1");
    EXPECT_EQ(member.instance_id, std::nullopt);
    EXPECT_EQ(member.client_id, "c1");
    EXPECT_EQ(member.client_host, "/127.0.0.1");
    EXPECT_EQ(member.subscribed_topic_names, (std::vector<std::string>{"t1"}));
    ASSERT_EQ(member.assignment.topic_partitions.size(), 1u);
    EXPECT_EQ(member.assignment.topic_partitions[0].topic_name, "t1");
    EXPECT_EQ(member.assignment.topic_partitions[0].partitions, (std::vector<int32_t>{0, 2}));
    EXPECT_TRUE(member.target_assignment.topic_partitions.empty());
    EXPECT_EQ(member.member_type, v >= 1 ? 1 : -1);
    EXPECT_EQ(group.authorized_operations, INT32_MIN);
  }
}

// --- ShareGroupDescribe (key 77): validVersions 1 (v0 was 4.0's early access), flexible 0+.

TEST(GoldenTest, ShareGroupDescribe) {
  const Spec spec{77, 1, 1, 0};
  expect_within_spec<ShareGroupDescribeRequest>(spec, {1});
  ShareGroupDescribeRequest request;
  request.group_ids = {"s1"};
  const Bytes topic_id = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                          0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
  expect_request_bytes(spec, request, 1,
                       cat({{0x02},
                            {0x03},
                            text("s1"),              // GroupIds ["s1"]
                            {0x00},                  // IncludeAuthorizedOperations false
                            {0x00}}));               // tags
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                          {0x02},                    // Groups: 1
                          {0x00, 0x00},              // ErrorCode
                          {0x00},                    // ErrorMessage null
                          {0x03},
                          text("s1"),  // GroupId
                          {0x07},
                          text("Stable"),            // GroupState
                          {0x00, 0x00, 0x00, 0x03},  // GroupEpoch 3
                          {0x00, 0x00, 0x00, 0x03},  // AssignmentEpoch 3
                          {0x07},
                          text("simple"),  // AssignorName
                          {0x02},          // Members: 1
                          {0x03},
                          text("m1"),                // MemberId
                          {0x00},                    // RackId null
                          {0x00, 0x00, 0x00, 0x03},  // MemberEpoch 3
                          {0x03},
                          text("c1"),  // ClientId
                          {0x0b},
                          text("/127.0.0.1"),  // ClientHost
                          {0x02},
                          {0x03},
                          text("t1"),  // SubscribedTopicNames ["t1"]
                          {0x02},
                          topic_id,
                          {0x03},
                          text("t1"),  // Assignment: 1 topic, id, name
                          {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01},  //   Partitions [0, 1]
                          {0x00},                                                  //   topic tags
                          {0x00},                                                  // Assignment tags
                          {0x00},                                                  // member tags
                          {0x80, 0x00, 0x00, 0x00},                                // AuthorizedOperations
                          {0x00},                                                  // group tags
                          {0x00}});                                                // tags
  const auto response = decode_golden<ShareGroupDescribeRequest>(response_frame(true, body), 1);
  ASSERT_EQ(response.groups.size(), 1u);
  const auto& group = response.groups[0];
  EXPECT_EQ(group.error_code, 0);
  EXPECT_EQ(group.group_id, "s1");
  EXPECT_EQ(group.group_state, "Stable");
  EXPECT_EQ(group.group_epoch, 3);
  EXPECT_EQ(group.assignor_name, "simple");
  ASSERT_EQ(group.members.size(), 1u);
  const auto& member = group.members[0];
  EXPECT_EQ(member.member_id, "m1");
  EXPECT_EQ(member.rack_id, std::nullopt);
  EXPECT_EQ(member.client_id, "c1");
  EXPECT_EQ(member.client_host, "/127.0.0.1");
  EXPECT_EQ(member.subscribed_topic_names, (std::vector<std::string>{"t1"}));
  ASSERT_EQ(member.assignment.topic_partitions.size(), 1u);
  EXPECT_EQ(member.assignment.topic_partitions[0].topic_name, "t1");
  EXPECT_EQ(member.assignment.topic_partitions[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(group.authorized_operations, INT32_MIN);
}

// --- DescribeShareGroupOffsets (key 90): validVersions 0-1 (1 adds Lag), flexible 0+.

TEST(GoldenTest, DescribeShareGroupOffsets) {
  const Spec spec{90, 0, 1, 0};
  expect_within_spec<DescribeShareGroupOffsetsRequest>(spec, {1});
  DescribeShareGroupOffsetsRequest request;
  DescribeShareGroupOffsetsRequest::Group wanted;
  wanted.group_id = "s1";
  wanted.topics = std::nullopt;  // every share-partition
  request.groups.push_back(wanted);
  expect_request_bytes(spec, request, 1,
                       cat({{0x02},
                            {0x03},
                            text("s1"),  // Groups: 1, GroupId
                            {0x00},      // Topics null
                            {0x00},      // group tags
                            {0x00}}));   // tags
  const Bytes topic_id = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                          0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
  const Bytes body = cat({{0x00, 0x00, 0x00, 0x00},  // ThrottleTimeMs
                          {0x02},                    // Groups: 1
                          {0x03},
                          text("s1"),  // GroupId
                          {0x02},      // Topics: 1
                          {0x03},
                          text("t1"),                                        // TopicName
                          topic_id,                                          // TopicId
                          {0x03},                                            // Partitions: 2
                          {0x00, 0x00, 0x00, 0x00},                          // PartitionIndex 0
                          {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a},  // StartOffset 42
                          {0x00, 0x00, 0x00, 0x01},                          // LeaderEpoch 1
                          {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07},  // Lag 7
                          {0x00, 0x00},                                      // ErrorCode
                          {0x00},                                            // ErrorMessage null
                          {0x00},                                            // partition tags
                          {0x00, 0x00, 0x00, 0x01},                          // PartitionIndex 1
                          {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},  // StartOffset -1 (none yet)
                          {0xff, 0xff, 0xff, 0xff},                          // LeaderEpoch -1
                          {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},  // Lag -1
                          {0x00, 0x00},                                      // ErrorCode
                          {0x00},                                            // ErrorMessage null
                          {0x00},                                            // partition tags
                          {0x00},                                            // topic tags
                          {0x00, 0x00},                                      // ErrorCode
                          {0x00},                                            // ErrorMessage null
                          {0x00},                                            // group tags
                          {0x00}});                                          // tags
  const auto response = decode_golden<DescribeShareGroupOffsetsRequest>(response_frame(true, body), 1);
  ASSERT_EQ(response.groups.size(), 1u);
  const auto& group = response.groups[0];
  EXPECT_EQ(group.group_id, "s1");
  EXPECT_EQ(group.error_code, 0);
  ASSERT_EQ(group.topics.size(), 1u);
  EXPECT_EQ(group.topics[0].topic_name, "t1");
  ASSERT_EQ(group.topics[0].partitions.size(), 2u);
  EXPECT_EQ(group.topics[0].partitions[0].start_offset, 42);
  EXPECT_EQ(group.topics[0].partitions[0].leader_epoch, 1);
  EXPECT_EQ(group.topics[0].partitions[0].lag, 7);
  EXPECT_EQ(group.topics[0].partitions[1].partition_index, 1);
  EXPECT_EQ(group.topics[0].partitions[1].start_offset, -1);
  EXPECT_EQ(group.topics[0].partitions[1].lag, -1);
}

TEST(GoldenTest, ZzEveryGeneratedApiHasGoldenFrames) {
  if (covered_apis().empty()) GTEST_SKIP() << "runs after the other golden tests";
  for (const auto& name : all_api_names(std::make_index_sequence<std::tuple_size_v<AllRequests>>())) {
    EXPECT_TRUE(covered_apis().count(name)) << name << " has no golden frame";
  }
}

}  // namespace
}  // namespace kse::kafka
