// Golden bytes for requests and hand-built responses for the decoders, written
// from the protocol's JSON specifications field by field.
#include <gtest/gtest.h>

#include "kafka/consumer_protocol.h"
#include "kafka/generated/api_versions.h"
#include "kafka/generated/describe_log_dirs.h"
#include "kafka/generated/describe_quorum.h"
#include "kafka/generated/elect_leaders.h"
#include "kafka/generated/list_offsets.h"
#include "kafka/generated/metadata.h"
#include "kafka/generated/offset_fetch.h"
#include "kafka/protocol.h"

namespace kse::kafka {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes with_header(int32_t correlation_id, bool flexible_header, const Bytes& body) {
  Writer w;
  w.int32(correlation_id);
  if (flexible_header) w.tags();
  auto out = w.bytes();
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// Every strict prefix of a valid response must fail cleanly, naming the API.
template <typename Request>
void expect_every_prefix_fails(const Bytes& frame, int16_t version) {
  for (size_t length = 0; length < frame.size(); ++length) {
    Bytes prefix(frame.begin(), frame.begin() + static_cast<long>(length));
    try {
      decode_response<Request>(prefix, version);
      ADD_FAILURE() << Request::kName << " decoded a " << length << "-byte prefix";
    } catch (const DecodeError& error) {
      EXPECT_EQ(std::string(error.what()).rfind(std::string(Request::kName) + " v", 0), 0u) << error.what();
    }
  }
}

TEST(MessagesTest, ApiVersionsV3RequestGoldenBytes) {
  ApiVersionsRequest request;
  request.client_software_name = "kse";
  request.client_software_version = "1.0";
  const Bytes expected = {0x00, 0x00, 0x00, 0x17,       // size 23
                          0x00, 0x12, 0x00, 0x03,       // ApiVersions v3
                          0x00, 0x00, 0x00, 0x07,       // correlation id
                          0x00, 0x03, 'k',  's',  'e',  // client id, always a classic string
                          0x00,                         // header tags (v2 header)
                          0x04, 'k',  's',  'e',        // ClientSoftwareName (compact)
                          0x04, '1',  '.',  '0',        // ClientSoftwareVersion
                          0x00};                        // tags
  EXPECT_EQ(encode_request(request, 3, 7, "kse"), expected);
  // v0 has a v1 header (no tags) and an empty body.
  EXPECT_EQ(encode_request(request, 0, 7, "kse"), (Bytes{0x00, 0x00, 0x00, 0x0d, 0x00, 0x12, 0x00, 0x00, 0x00,
                                                         0x00, 0x00, 0x07, 0x00, 0x03, 'k', 's', 'e'}));
}

TEST(MessagesTest, ApiVersionsResponseAndTheV0Fallback) {
  Writer v3;
  v3.int16(0);
  v3.array_length(1, true);
  v3.int16(3);
  v3.int16(0);
  v3.int16(12);
  v3.tags();
  v3.int32(0);
  v3.tags();
  // ApiVersions responses always carry a v0 header, even at v3.
  auto response = decode_response<ApiVersionsRequest>(with_header(1, false, v3.bytes()), 3);
  ASSERT_EQ(response.api_keys.size(), 1u);
  EXPECT_EQ(response.api_keys[0].max_version, 12);
  expect_every_prefix_fails<ApiVersionsRequest>(with_header(1, false, v3.bytes()), 3);

  Writer v0;
  v0.int16(35);
  v0.array_length(1, false);
  v0.int16(18);
  v0.int16(0);
  v0.int16(2);
  auto fallback = decode_response<ApiVersionsRequest>(with_header(1, false, v0.bytes()), 3);
  EXPECT_EQ(fallback.error_code, 35);
  ASSERT_EQ(fallback.api_keys.size(), 1u);
  EXPECT_EQ(fallback.api_keys[0].max_version, 2);
}

TEST(MessagesTest, MetadataRequestGoldenBodies) {
  MetadataRequest all;
  all.topics = std::nullopt;  // every topic
  all.allow_auto_topic_creation = false;
  auto v12 = encode_request(all, 12, 1, "");
  EXPECT_EQ(Bytes(v12.begin() + 15, v12.end()), (Bytes{0x00, 0x00, 0x00, 0x00}));
  auto v10 = encode_request(all, 10, 1, "");
  EXPECT_EQ(Bytes(v10.begin() + 15, v10.end()), (Bytes{0x00, 0x00, 0x00, 0x00, 0x00}));
  MetadataRequest one;
  one.topics = std::vector<MetadataRequest::Topic>{{Uuid{}, "p"}};
  one.allow_auto_topic_creation = false;
  auto named = encode_request(one, 12, 1, "");
  Bytes expected = {0x02};
  expected.insert(expected.end(), 16, 0x00);  // zero topic id
  for (uint8_t b : Bytes{0x02, 'p', 0x00, 0x00, 0x00, 0x00}) expected.push_back(b);
  EXPECT_EQ(Bytes(named.begin() + 15, named.end()), expected);
}

Bytes metadata_v12_body() {
  Writer w;
  w.int32(0);               // throttle
  w.array_length(1, true);  // brokers
  w.int32(1);
  w.string("127.0.0.1", true);
  w.int32(9092);
  w.nullable_string(std::string("r1"), true);
  w.tags();
  w.nullable_string(std::string("cid"), true);
  w.int32(1);               // controller
  w.array_length(1, true);  // topics
  w.int16(0);
  w.nullable_string(std::string("position"), true);
  w.uuid(Uuid{});
  w.boolean(false);
  w.array_length(1, true);  // partitions
  w.int16(0);
  w.int32(0);
  w.int32(1);
  w.int32(7);
  write_int32_array(w, {1, 2, 3}, true);
  write_int32_array(w, {1, 2}, true);
  write_int32_array(w, {}, true);
  w.tags();
  w.int32(INT32_MIN);
  w.tags();
  w.tags();
  return w.bytes();
}

TEST(MessagesTest, MetadataV12ResponseDecodes) {
  auto frame = with_header(3, true, metadata_v12_body());
  auto response = decode_response<MetadataRequest>(frame, 12);
  ASSERT_EQ(response.brokers.size(), 1u);
  EXPECT_EQ(response.brokers[0].rack, std::optional<std::string>("r1"));
  EXPECT_EQ(response.cluster_id, "cid");
  ASSERT_EQ(response.topics.size(), 1u);
  EXPECT_EQ(response.topics[0].name, "position");
  const auto& p = response.topics[0].partitions.at(0);
  EXPECT_EQ(p.leader_id, 1);
  EXPECT_EQ(p.leader_epoch, 7);
  EXPECT_EQ(p.replica_nodes, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(p.isr_nodes, (std::vector<int32_t>{1, 2}));
  expect_every_prefix_fails<MetadataRequest>(frame, 12);
  auto trailing = frame;
  trailing.push_back(0);
  EXPECT_THROW(decode_response<MetadataRequest>(trailing, 12), DecodeError);
}

TEST(MessagesTest, ListOffsetsRequestAndResponse) {
  ListOffsetsRequest request;
  request.replica_id = -1;  // a consumer (the spec has no default)
  request.isolation_level = 1;
  request.topics.push_back({"t", {{0, -1, kEarliestTimestamp}}});
  auto bytes = encode_request(request, 7, 9, "");
  EXPECT_EQ(Bytes(bytes.begin() + 15, bytes.end()),
            (Bytes{0xff, 0xff, 0xff, 0xff,                          // replica id -1
                   0x01,                                            // read_committed
                   0x02, 0x02, 't',                                 // one topic "t"
                   0x02,                                            // one partition
                   0x00, 0x00, 0x00, 0x00,                          // partition 0
                   0xff, 0xff, 0xff, 0xff,                          // current leader epoch -1
                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,  // timestamp -2 (earliest)
                   0x00, 0x00, 0x00}));
  Writer w;
  w.int32(0);
  w.array_length(1, true);
  w.string("t", true);
  w.array_length(1, true);
  w.int32(0);
  w.int16(0);
  w.int64(-1);
  w.int64(4242);
  w.int32(3);
  w.tags();
  w.tags();
  w.tags();
  auto frame = with_header(9, true, w.bytes());
  auto response = decode_response<ListOffsetsRequest>(frame, 7);
  EXPECT_EQ(response.topics.at(0).partitions.at(0).offset, 4242);
  expect_every_prefix_fails<ListOffsetsRequest>(frame, 7);
}

TEST(MessagesTest, DescribeQuorumV1Response) {
  Writer w;
  w.int16(0);
  w.array_length(1, true);
  w.string("__cluster_metadata", true);
  w.array_length(1, true);
  w.int32(0);
  w.int16(0);
  w.int32(2);
  w.int32(5);
  w.int64(100);
  w.array_length(1, true);
  w.int32(2);
  w.int64(100);
  w.int64(1000);
  w.int64(999);
  w.tags();
  w.array_length(0, true);
  w.tags();
  w.tags();
  w.tags();
  auto frame = with_header(1, true, w.bytes());
  auto response = decode_response<DescribeQuorumRequest>(frame, 1);
  const auto& partition = response.topics.at(0).partitions.at(0);
  EXPECT_EQ(partition.leader_id, 2);
  EXPECT_EQ(partition.current_voters.at(0).last_caught_up_timestamp, 999);
  expect_every_prefix_fails<DescribeQuorumRequest>(frame, 1);
}

TEST(MessagesTest, ConsumerAssignmentDecodes) {
  Writer w;
  w.int16(1);
  w.array_length(1, false);
  w.string("position", false);
  write_int32_array(w, {0, 3}, false);
  w.int32(-1);  // no user data
  auto assignment = decode_consumer_assignment(w.bytes());
  ASSERT_EQ(assignment.assigned_partitions.size(), 1u);
  EXPECT_EQ(assignment.assigned_partitions[0].topic, "position");
  EXPECT_EQ(assignment.assigned_partitions[0].partitions, (std::vector<int32_t>{0, 3}));
}

TEST(MessagesTest, OffsetFetchV8RequestGoldenBytes) {
  OffsetFetchRequest request;
  request.groups.push_back({"g", std::nullopt, -1, std::nullopt});
  auto bytes = encode_request(request, 8, 1, "");
  EXPECT_EQ(Bytes(bytes.begin() + 15, bytes.end()),
            (Bytes{0x02, 0x02, 'g', 0x00 /* all topics */, 0x00, 0x00 /* require_stable */, 0x00}));
}

TEST(MessagesTest, ElectLeadersRequestGoldenBodies) {
  ElectLeadersRequest request;
  request.topic_partitions = std::vector<ElectLeadersRequest::TopicPartitions>{{"p", {2}}};
  request.timeout_ms = 5000;
  auto v2 = encode_request(request, 2, 1, "");
  // Header v2: size 4, key 2, version 2, correlation 4, client id 2, tags 1 = 15 bytes.
  EXPECT_EQ(Bytes(v2.begin() + 15, v2.end()),
            (Bytes{0x00 /* preferred */, 0x02, 0x02, 'p', 0x02, 0x00, 0x00, 0x00, 0x02, 0x00 /* tags */, 0x00,
                   0x00, 0x13, 0x88, 0x00}));
  auto v1 = encode_request(request, 1, 1, "");
  EXPECT_EQ(Bytes(v1.begin() + 14, v1.end()),
            (Bytes{0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'p',  0x00, 0x00,
                   0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x13, 0x88}));
}

TEST(MessagesTest, ElectLeadersV2Response) {
  Writer w;
  w.int32(0);  // throttle
  w.int16(0);  // error
  w.array_length(1, true);
  w.string("p", true);
  w.array_length(2, true);
  w.int32(0);
  w.int16(84);  // ELECTION_NOT_NEEDED
  w.nullable_string(std::nullopt, true);
  w.tags();
  w.int32(1);
  w.int16(0);
  w.nullable_string(std::nullopt, true);
  w.tags();
  w.tags();
  w.tags();
  auto frame = with_header(1, true, w.bytes());
  auto response = decode_response<ElectLeadersRequest>(frame, 2);
  ASSERT_EQ(response.replica_election_results.size(), 1u);
  EXPECT_EQ(response.replica_election_results[0].topic, "p");
  ASSERT_EQ(response.replica_election_results[0].partition_result.size(), 2u);
  EXPECT_EQ(response.replica_election_results[0].partition_result[0].error_code, 84);
  EXPECT_EQ(response.replica_election_results[0].partition_result[1].partition_id, 1);
  expect_every_prefix_fails<ElectLeadersRequest>(frame, 2);
}

TEST(MessagesTest, VersionChoice) {
  EXPECT_EQ(choose_version<MetadataRequest>({0, 12}), 12);
  EXPECT_EQ(choose_version<MetadataRequest>({0, 10}), 10);
  EXPECT_EQ(choose_version<MetadataRequest>({0, 8}), -1);
  EXPECT_EQ(choose_version<DescribeLogDirsRequest>({0, 4}), 4);
  EXPECT_EQ(error_name(6), "NOT_LEADER_OR_FOLLOWER");
}

}  // namespace
}  // namespace kse::kafka
