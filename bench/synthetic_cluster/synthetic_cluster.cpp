// A Kafka cluster that exists only as formulas, for scale benchmarks of the exporter: up to
// 100 brokers on loopback ports, a million partitions and 100,000 consumer groups, answered
// in Kafka's own bytes through the generated encoders. Never used by correctness tests of the
// exporter's values against Kafka (those run against the real cluster in cluster/).
//
// The cluster, all from the command line (see usage()):
//   * broker b (1..N) listens on 127.0.0.1:base_port + b - 1;
//   * partition g (0..P-1, global) is partition g % per_topic of topic synthetic-<g / per_topic>;
//     its replicas are brokers (g + k) % N + 1 for k < rf, the first one leads, all in sync;
//   * its log end moves: base(g) + rate(g) * seconds since start (every tenth partition idle);
//     a record's timestamp follows from its offset by the same line;
//   * group g (synthetic-group-<g>) consumes per_group partitions of topic g % topics, two
//     members share them (every tenth group is Empty), coordinator hash(g) % N + 1, and its
//     committed offsets trail the log end by a fixed lag per partition (every fifth group none).
#include <signal.h>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "kafka/generated/all_apis.h"
#include "kafka/protocol.h"
#include "support/find_coordinator_answer.h"

namespace {

using boost::asio::awaitable;
using boost::asio::use_awaitable;
using boost::asio::ip::tcp;
namespace kafka = kse::kafka;

constexpr int16_t kNone = 0;
constexpr int16_t kOffsetOutOfRange = 1;
constexpr int16_t kUnknownTopicOrPartition = 3;
constexpr int16_t kNotLeaderOrFollower = 6;
constexpr int16_t kNotCoordinator = 16;
constexpr int16_t kInvalidRequest = 42;
constexpr int16_t kGroupIdNotFound = 69;
constexpr int64_t kIdleAgeMs = 3'600'000;  // an idle partition's last record is an hour older than the start
constexpr uint32_t kMaxFrameBytes = 100u << 20;

const std::string kTopicPrefix = "synthetic-";
const std::string kGroupPrefix = "synthetic-group-";

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Zero-padded decimal, so that names sort in number order.
std::string numbered(const std::string& prefix, int64_t n, int width) {
  std::string digits = std::to_string(n);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return prefix + digits;
}

// The number after `prefix` in `name`, or nothing when `name` is not one of ours.
std::optional<int64_t> number_after(std::string_view prefix, std::string_view name) {
  if (name.substr(0, prefix.size()) != prefix || name.size() == prefix.size()) return std::nullopt;
  int64_t n = 0;
  const char* end = name.data() + name.size();
  auto [at, error] = std::from_chars(name.data() + prefix.size(), end, n);
  if (error != std::errc() || at != end) return std::nullopt;
  return n;
}

struct Shape {
  int32_t brokers = 3;
  int64_t partitions = 300;
  int32_t per_topic = 100;
  int32_t rf = 2;
  int64_t groups = 20;
  int32_t per_group = 20;
  bool kraft = false;
  int base_port = 19092;
  int threads = 2;
  int64_t start_ms = 0;
  bool facts = false;
};

// Every fact of the cluster, computed from the shape and the clock.
class Cluster {
 public:
  explicit Cluster(const Shape& shape) : s_(shape) {
    coordinators_.resize(s_.groups);
    for (int64_t g = 0; g < s_.groups; ++g)
      coordinators_[g] =
          static_cast<int32_t>(mix(static_cast<uint64_t>(g) ^ 0x67726f7570ull) % s_.brokers) + 1;
  }

  const Shape& shape() const { return s_; }
  int32_t brokers() const { return s_.brokers; }
  int64_t topics() const { return (s_.partitions + s_.per_topic - 1) / s_.per_topic; }
  int32_t topic_size(int64_t t) const {
    return static_cast<int32_t>(std::min<int64_t>(s_.per_topic, s_.partitions - t * s_.per_topic));
  }
  std::string topic_name(int64_t t) const { return numbered(kTopicPrefix, t, 5); }
  std::optional<int64_t> topic_of(std::string_view name) const {
    auto t = number_after(kTopicPrefix, name);
    return t && *t < topics() ? t : std::nullopt;
  }
  // The global index of a partition, or nothing when it does not exist.
  std::optional<int64_t> partition(int64_t topic, int32_t index) const {
    if (index < 0 || index >= topic_size(topic)) return std::nullopt;
    return topic * s_.per_topic + index;
  }
  int port(int32_t broker) const { return s_.base_port + broker - 1; }

  int32_t leader(int64_t g) const { return static_cast<int32_t>(g % s_.brokers) + 1; }
  std::vector<int32_t> replicas(int64_t g) const {
    std::vector<int32_t> out;
    for (int32_t k = 0; k < std::min(s_.rf, s_.brokers); ++k)
      out.push_back(static_cast<int32_t>((g + k) % s_.brokers) + 1);
    return out;
  }
  bool holds(int32_t broker, int64_t g) const {
    const int64_t k = ((broker - 1 - g) % s_.brokers + s_.brokers) % s_.brokers;
    return k < std::min(s_.rf, s_.brokers);
  }

  bool idle(int64_t g) const { return mix(g) % 10 == 0; }
  int64_t base(int64_t g) const { return 1000 + static_cast<int64_t>(mix(g) % 1'000'000); }
  // Records per second: now, and before the start (idle partitions had a past too).
  int64_t rate(int64_t g) const { return idle(g) ? 0 : past_rate(g); }
  int64_t past_rate(int64_t g) const { return 1 + static_cast<int64_t>((mix(g) >> 20) % 20); }
  int64_t earliest(int64_t g) const { return base(g) / 4; }
  int64_t log_end(int64_t g, int64_t at_ms) const {
    return base(g) + rate(g) * std::max<int64_t>(at_ms - s_.start_ms, 0) / 1000;
  }
  int64_t timestamp(int64_t g, int64_t offset) const {
    if (offset >= base(g) && rate(g) > 0) return s_.start_ms + (offset - base(g)) * 1000 / rate(g);
    const int64_t anchor = idle(g) ? s_.start_ms - kIdleAgeMs : s_.start_ms;
    return anchor - (base(g) - offset) * 1000 / past_rate(g);
  }
  int64_t partition_bytes(int64_t g, int64_t at_ms) const { return (log_end(g, at_ms) - earliest(g)) * 120; }

  std::string group_name(int64_t g) const { return numbered(kGroupPrefix, g, 6); }
  std::optional<int64_t> group_of(std::string_view name) const {
    auto g = number_after(kGroupPrefix, name);
    return g && *g < s_.groups ? g : std::nullopt;
  }
  int32_t coordinator(int64_t g) const { return coordinators_[g]; }
  bool empty(int64_t g) const { return g % 10 == 9; }
  int64_t group_topic(int64_t g) const { return g % topics(); }
  // The partitions (indexes in the group's topic) the group consumes.
  std::vector<int32_t> group_partitions(int64_t g) const {
    const int32_t size = topic_size(group_topic(g));
    const int32_t count = std::min(s_.per_group, size);
    const int32_t first = static_cast<int32_t>(((g / topics()) * s_.per_group) % size);
    std::vector<int32_t> out;
    for (int32_t j = 0; j < count; ++j) out.push_back((first + j) % size);
    std::sort(out.begin(), out.end());
    return out;
  }
  int64_t lag(int64_t g, int32_t index) const {
    if (g % 5 == 0) return 0;
    return 1 +
           static_cast<int64_t>(mix((static_cast<uint64_t>(g) << 20) ^ static_cast<uint64_t>(index)) % 500);
  }
  int64_t committed(int64_t g, int32_t index, int64_t at_ms) const {
    const int64_t p = group_topic(g) * s_.per_topic + index;
    return std::max(earliest(p), log_end(p, at_ms) - lag(g, index));
  }

 private:
  Shape s_;
  std::vector<int32_t> coordinators_;
};

// CRC-32C (Castagnoli), as record batches of magic 2 carry it.
uint32_t crc32c(std::span<const uint8_t> bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (uint8_t b : bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

// One uncompressed record batch (magic 2) holding offsets [first, first + count), each record
// an 8-byte value, timestamped by the cluster's formula.
std::vector<uint8_t> record_batch(const Cluster& cluster, int64_t g, int64_t first, int32_t count) {
  const int64_t base_time = cluster.timestamp(g, first);
  kafka::Writer records;
  for (int32_t i = 0; i < count; ++i) {
    kafka::Writer record;
    record.int8(0);  // attributes
    record.varlong(cluster.timestamp(g, first + i) - base_time);
    record.varint(i);
    record.varint(-1);  // null key
    record.varint(8);
    record.int64(first + i);
    record.uvarint(0);  // no headers
    records.varint(static_cast<int32_t>(record.bytes().size()));
    records.bytes().insert(records.bytes().end(), record.bytes().begin(), record.bytes().end());
  }
  // The part the CRC covers: attributes to the end.
  kafka::Writer covered;
  covered.int16(0);  // attributes: no compression, CreateTime, not transactional
  covered.int32(count - 1);
  covered.int64(base_time);
  covered.int64(cluster.timestamp(g, first + count - 1));
  covered.int64(-1);  // producer id
  covered.int16(-1);  // producer epoch
  covered.int32(-1);  // base sequence
  covered.int32(count);
  covered.bytes().insert(covered.bytes().end(), records.bytes().begin(), records.bytes().end());
  kafka::Writer batch;
  batch.int64(first);
  batch.int32(static_cast<int32_t>(4 + 1 + 4 + covered.bytes().size()));  // from partition leader epoch on
  batch.int32(0);                                                         // partition leader epoch
  batch.int8(2);                                                          // magic
  batch.int32(static_cast<int32_t>(crc32c(covered.bytes())));
  batch.bytes().insert(batch.bytes().end(), covered.bytes().begin(), covered.bytes().end());
  return std::move(batch.bytes());
}

// The classic consumer protocol's assignment bytes (version 0, no user data).
std::vector<uint8_t> consumer_assignment(const std::string& topic, const std::vector<int32_t>& partitions) {
  kafka::Writer w;
  w.int16(0);
  w.array_length(1, false);
  w.string(topic, false);
  kafka::write_int32_array(w, partitions, false);
  w.int32(-1);  // null user data
  return std::move(w.bytes());
}

template <typename... Requests>
bool request_flexible(const std::tuple<Requests...>*, int16_t api_key, int16_t version) {
  return ((Requests::kApiKey == api_key && kafka::is_flexible<Requests>(version)) || ...);
}

// The answers of one broker to every request it offers, as response bodies.
class Answers {
 public:
  using Handler = std::function<std::vector<uint8_t>(int32_t broker, int16_t version, kafka::Reader&)>;

  explicit Answers(const Cluster& cluster) : cluster_(cluster) {
    offer<kafka::MetadataRequest>(9, 13, &Answers::metadata);
    offer<kafka::ListOffsetsRequest>(6, 11, &Answers::list_offsets);
    offer<kafka::FindCoordinatorRequest>(3, 6, &Answers::find_coordinator);
    offer<kafka::ListGroupsRequest>(3, 5, &Answers::list_groups);
    offer<kafka::DescribeGroupsRequest>(5, 5, &Answers::describe_groups);
    offer<kafka::OffsetFetchRequest>(7, 9, &Answers::offset_fetch);
    offer<kafka::DescribeConfigsRequest>(4, 4, &Answers::describe_configs);
    offer<kafka::DescribeLogDirsRequest>(2, 5, &Answers::describe_log_dirs);
    if (cluster.shape().kraft) offer<kafka::DescribeQuorumRequest>(0, 2, &Answers::describe_quorum);
    offer<kafka::ListPartitionReassignmentsRequest>(0, 0, &Answers::list_reassignments);
    offer<kafka::ListTransactionsRequest>(0, 2, &Answers::list_transactions);
    offer<kafka::DescribeClientQuotasRequest>(1, 1, &Answers::describe_quotas);
    offer<kafka::DescribeClusterRequest>(0, 2, &Answers::describe_cluster);
    offer<kafka::FetchRequest>(4, 11, &Answers::fetch);
  }

  // The whole response frame (size prefix included) to one request frame, or nothing to hang up.
  std::optional<std::vector<uint8_t>> answer(int32_t broker, std::span<const uint8_t> frame) const {
    kafka::Reader r(frame, "request header");
    const int16_t api_key = r.int16();
    const int16_t version = r.int16();
    const int32_t correlation_id = r.int32();
    r.nullable_string(false);  // client id
    const bool flexible = request_flexible(static_cast<kafka::AllRequests*>(nullptr), api_key, version);
    if (flexible) r.skip_tags();
    kafka::Writer w;
    w.int32(0);  // size, patched below
    w.int32(correlation_id);
    if (api_key == kafka::ApiVersionsRequest::kApiKey) {
      // The response header of ApiVersions is v0 in every version (KIP-511).
      api_versions(version).encode(w, std::min<int16_t>(version, 3));
    } else {
      auto handler = handlers_.find(api_key);
      if (handler == handlers_.end()) return std::nullopt;
      const auto& [range, run] = handler->second;
      if (version < range.min || version > range.max) return std::nullopt;
      if (flexible) w.tags();
      auto body = run(broker, version, r);
      w.bytes().insert(w.bytes().end(), body.begin(), body.end());
    }
    auto& bytes = w.bytes();
    const auto size = static_cast<uint32_t>(bytes.size() - 4);
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(size >> (8 * (3 - i)));
    return std::move(bytes);
  }

 private:
  template <typename Request, typename Response>
  using Method = Response (Answers::*)(int32_t, int16_t, const Request&) const;

  template <typename Request>
  void offer(int16_t min, int16_t max, Method<Request, typename Request::Response> method) {
    handlers_[Request::kApiKey] = {kafka::ApiVersionRange{min, max},
                                   [this, method](int32_t broker, int16_t version, kafka::Reader& r) {
                                     const Request request = Request::decode(r, version);
                                     kafka::Writer w;
                                     (this->*method)(broker, version, request).encode(w, version);
                                     return std::move(w.bytes());
                                   }};
  }

  kafka::ApiVersionsResponse api_versions(int16_t version) const {
    kafka::ApiVersionsResponse response;
    if (version > 3) response.error_code = kafka::kUnsupportedVersion;
    response.api_keys.push_back({kafka::ApiVersionsRequest::kApiKey, 0, 3});
    for (const auto& [key, handler] : handlers_)
      response.api_keys.push_back({key, handler.first.min, handler.first.max});
    return response;
  }

  template <typename Broker>
  void describe_broker(int32_t id, Broker& broker) const {
    broker.host = "127.0.0.1";
    broker.port = cluster_.port(id);
    broker.rack = "rack-" + std::to_string((id - 1) % 3);
  }

  kafka::MetadataResponse metadata(int32_t, int16_t, const kafka::MetadataRequest& request) const {
    kafka::MetadataResponse response;
    for (int32_t id = 1; id <= cluster_.brokers(); ++id) {
      auto& broker = response.brokers.emplace_back();
      broker.node_id = id;
      describe_broker(id, broker);
    }
    response.cluster_id = "synthetic-cluster";
    response.controller_id = 1;
    auto describe_topic = [&](int64_t t) {
      auto& topic = response.topics.emplace_back();
      topic.name = cluster_.topic_name(t);
      topic.topic_id[0] = 0x5e;
      for (int i = 0; i < 8; ++i) topic.topic_id[8 + i] = static_cast<uint8_t>(t >> (8 * (7 - i)));
      topic.partitions.resize(cluster_.topic_size(t));
      for (int32_t i = 0; i < cluster_.topic_size(t); ++i) {
        const int64_t g = *cluster_.partition(t, i);
        auto& p = topic.partitions[i];
        p.partition_index = i;
        p.leader_id = cluster_.leader(g);
        p.leader_epoch = 1;
        const auto replicas = cluster_.replicas(g);
        p.replica_nodes.assign(replicas.begin(), replicas.end());
        p.isr_nodes = p.replica_nodes;
      }
    };
    if (!request.topics) {
      response.topics.reserve(cluster_.topics());
      for (int64_t t = 0; t < cluster_.topics(); ++t) describe_topic(t);
    } else {
      for (const auto& wanted : *request.topics) {
        const auto t = cluster_.topic_of(wanted.name.value_or(""));
        if (t) {
          describe_topic(*t);
        } else {
          auto& unknown = response.topics.emplace_back();
          unknown.name = wanted.name;
          unknown.error_code = kUnknownTopicOrPartition;
        }
      }
    }
    return response;
  }

  // The global index of partition `index` of topic `t` when `broker` leads it; otherwise
  // nothing, and `error` says what a broker answers (unknown partition, not the leader).
  std::optional<int64_t> led_by(int32_t broker, std::optional<int64_t> t, int32_t index,
                                int16_t& error) const {
    const auto g = t ? cluster_.partition(*t, index) : std::nullopt;
    if (!g) {
      error = kUnknownTopicOrPartition;
      return std::nullopt;
    }
    if (cluster_.leader(*g) != broker) {
      error = kNotLeaderOrFollower;
      return std::nullopt;
    }
    return g;
  }

  kafka::ListOffsetsResponse list_offsets(int32_t broker, int16_t,
                                          const kafka::ListOffsetsRequest& request) const {
    const int64_t now = now_ms();
    kafka::ListOffsetsResponse response;
    for (const auto& asked : request.topics) {
      auto& topic = response.topics.emplace_back();
      topic.name = asked.name;
      const auto t = cluster_.topic_of(asked.name);
      for (const auto& wanted : asked.partitions) {
        auto& p = topic.partitions.emplace_back();
        p.partition_index = wanted.partition_index;
        const auto g = led_by(broker, t, wanted.partition_index, p.error_code);
        if (!g) continue;
        p.leader_epoch = 1;
        const int64_t end = cluster_.log_end(*g, now);
        if (wanted.timestamp == kafka::kEarliestTimestamp) {
          p.offset = cluster_.earliest(*g);
        } else if (wanted.timestamp == kafka::kLatestTimestamp) {
          p.offset = end;                     // no transactions: the last stable offset is the log end
        } else if (wanted.timestamp == -3) {  // the record with the largest timestamp
          p.offset = end - 1;
          p.timestamp = cluster_.timestamp(*g, end - 1);
        } else {
          p.error_code = kInvalidRequest;
        }
      }
    }
    return response;
  }

  kafka::FindCoordinatorResponse find_coordinator(int32_t, int16_t version,
                                                  const kafka::FindCoordinatorRequest& request) const {
    auto place = [&](const std::string& key, auto& out) {
      const auto g = request.key_type == kafka::kGroupCoordinator ? cluster_.group_of(key) : std::nullopt;
      // Any broker coordinates a key that names no group of ours (Kafka places any key).
      const int32_t id = g ? cluster_.coordinator(*g)
                           : static_cast<int32_t>(std::hash<std::string>{}(key) % cluster_.brokers()) + 1;
      out.node_id = id;
      out.host = "127.0.0.1";
      out.port = cluster_.port(id);
      out.error_code = kNone;
      out.error_message = std::nullopt;
    };
    return kse::test::answer_find_coordinator(request, version, place);
  }

  kafka::ListGroupsResponse list_groups(int32_t broker, int16_t, const kafka::ListGroupsRequest&) const {
    kafka::ListGroupsResponse response;
    for (int64_t g = 0; g < cluster_.shape().groups; ++g) {
      if (cluster_.coordinator(g) != broker) continue;
      auto& group = response.groups.emplace_back();
      group.group_id = cluster_.group_name(g);
      group.protocol_type = "consumer";
      group.group_state = cluster_.empty(g) ? "Empty" : "Stable";
      group.group_type = "classic";
    }
    return response;
  }

  kafka::DescribeGroupsResponse describe_groups(int32_t broker, int16_t,
                                                const kafka::DescribeGroupsRequest& request) const {
    kafka::DescribeGroupsResponse response;
    for (const auto& id : request.groups) {
      auto& group = response.groups.emplace_back();
      group.group_id = id;
      const auto g = cluster_.group_of(id);
      if (!g) {
        group.group_state = "Dead";
        continue;
      }
      if (cluster_.coordinator(*g) != broker) {
        group.error_code = kNotCoordinator;
        continue;
      }
      group.protocol_type = "consumer";
      if (cluster_.empty(*g)) {
        group.group_state = "Empty";
        continue;
      }
      group.group_state = "Stable";
      group.protocol_data = "range";
      const auto partitions = cluster_.group_partitions(*g);
      const std::string topic = cluster_.topic_name(cluster_.group_topic(*g));
      for (int m = 0; m < 2; ++m) {
        std::vector<int32_t> assigned;
        for (size_t j = m; j < partitions.size(); j += 2) assigned.push_back(partitions[j]);
        auto& member = group.members.emplace_back();
        const std::string client = "consumer-" + std::to_string(*g) + "-" + std::to_string(m);
        member.member_id = client + "-" + std::to_string(mix(*g * 2 + m) % 100000000);
        member.group_instance_id = std::nullopt;
        member.client_id = client;
        member.client_host = "/10.0." + std::to_string((*g >> 8) % 256) + "." + std::to_string(*g % 256);
        member.member_assignment = consumer_assignment(topic, assigned);
      }
    }
    return response;
  }

  // The committed offsets of one group, in either layout of OffsetFetch (`Topic` and
  // `Partition` name the nested types of the layout). Nothing when it is not ours.
  template <typename Topic, typename Partition>
  std::optional<std::vector<Topic>> committed_offsets(int32_t broker, const std::string& id,
                                                      int16_t& error) const {
    const auto g = cluster_.group_of(id);
    if (!g) {
      error = kGroupIdNotFound;
      return std::nullopt;
    }
    if (cluster_.coordinator(*g) != broker) {
      error = kNotCoordinator;
      return std::nullopt;
    }
    const int64_t now = now_ms();
    std::vector<Topic> topics(1);
    topics[0].name = cluster_.topic_name(cluster_.group_topic(*g));
    for (int32_t index : cluster_.group_partitions(*g)) {
      Partition p;
      p.partition_index = index;
      p.committed_offset = cluster_.committed(*g, index, now);
      p.committed_leader_epoch = 1;
      topics[0].partitions.push_back(std::move(p));
    }
    return topics;
  }

  kafka::OffsetFetchResponse offset_fetch(int32_t broker, int16_t version,
                                          const kafka::OffsetFetchRequest& request) const {
    using Response = kafka::OffsetFetchResponse;
    Response response;
    if (version < kafka::kFirstBatchedOffsetFetchVersion) {
      if (auto topics = committed_offsets<Response::Topic, Response::Partition>(broker, request.group_id,
                                                                                response.error_code))
        response.topics = std::move(*topics);
      return response;
    }
    for (const auto& asked : request.groups) {
      auto& group = response.groups.emplace_back();
      group.group_id = asked.group_id;
      if (auto topics = committed_offsets<Response::Topics, Response::Partitions>(broker, asked.group_id,
                                                                                  group.error_code))
        group.topics = std::move(*topics);
    }
    return response;
  }

  kafka::DescribeConfigsResponse describe_configs(int32_t, int16_t,
                                                  const kafka::DescribeConfigsRequest& request) const {
    // Name, value, config type (INT 3, LONG 5).
    static const std::array<std::tuple<const char*, const char*, int8_t>, 3> kConfigs = {{
        {"min.insync.replicas", "1", 3},
        {"retention.bytes", "-1", 5},
        {"retention.ms", "604800000", 5},
    }};
    kafka::DescribeConfigsResponse response;
    for (const auto& resource : request.resources) {
      auto& result = response.results.emplace_back();
      result.resource_type = resource.resource_type;
      result.resource_name = resource.resource_name;
      result.error_message = std::nullopt;
      if (resource.resource_type != kafka::kTopicResource || !cluster_.topic_of(resource.resource_name)) {
        result.error_code = kUnknownTopicOrPartition;
        result.error_message = "synthetic cluster: no such topic";
        continue;
      }
      for (const auto& [name, value, type] : kConfigs) {
        if (resource.configuration_keys &&
            std::find(resource.configuration_keys->begin(), resource.configuration_keys->end(), name) ==
                resource.configuration_keys->end())
          continue;
        auto& config = result.configs.emplace_back();
        config.name = name;
        config.value = value;
        config.config_source = 5;  // DEFAULT_CONFIG
        config.config_type = type;
        config.documentation = std::nullopt;
      }
    }
    return response;
  }

  kafka::DescribeLogDirsResponse describe_log_dirs(int32_t broker, int16_t,
                                                   const kafka::DescribeLogDirsRequest& request) const {
    const int64_t now = now_ms();
    kafka::DescribeLogDirsResponse response;
    auto& dir = response.results.emplace_back();
    dir.log_dir = "/var/lib/kafka/data";
    dir.total_bytes = int64_t{4} << 40;
    int64_t used = 0;
    auto describe_topic = [&](int64_t t, const std::vector<int32_t>* only) {
      kafka::DescribeLogDirsResponse::DescribeLogDirsTopic topic;
      topic.name = cluster_.topic_name(t);
      for (int32_t i = 0; i < cluster_.topic_size(t); ++i) {
        const int64_t g = *cluster_.partition(t, i);
        if (!cluster_.holds(broker, g)) continue;
        if (only && std::find(only->begin(), only->end(), i) == only->end()) continue;
        auto& p = topic.partitions.emplace_back();
        p.partition_index = i;
        p.partition_size = cluster_.partition_bytes(g, now);
        used += p.partition_size;
      }
      if (!topic.partitions.empty()) dir.topics.push_back(std::move(topic));
    };
    if (!request.topics) {
      for (int64_t t = 0; t < cluster_.topics(); ++t) describe_topic(t, nullptr);
    } else {
      for (const auto& wanted : *request.topics) {
        if (auto t = cluster_.topic_of(wanted.topic)) describe_topic(*t, &wanted.partitions);
      }
    }
    dir.usable_bytes = std::max<int64_t>(dir.total_bytes - used, 0);
    return response;
  }

  kafka::DescribeQuorumResponse describe_quorum(int32_t, int16_t, const kafka::DescribeQuorumRequest&) const {
    const int64_t now = now_ms();
    const int64_t high_watermark = 5000 + (now - cluster_.shape().start_ms) / 500;
    kafka::DescribeQuorumResponse response;
    response.error_message = std::nullopt;
    auto& topic = response.topics.emplace_back();
    topic.topic_name = "__cluster_metadata";
    auto& partition = topic.partitions.emplace_back();
    partition.error_message = std::nullopt;
    partition.leader_id = 1;
    partition.leader_epoch = 7;
    partition.high_watermark = high_watermark;
    // Combined mode: the first three brokers are the voters, the others observe.
    const int32_t voters = std::min(3, cluster_.brokers());
    for (int32_t id = 1; id <= cluster_.brokers(); ++id) {
      kafka::DescribeQuorumResponse::ReplicaState replica;
      replica.replica_id = id;
      replica.log_end_offset = high_watermark - (id == 1 ? 0 : id % 3);
      replica.last_fetch_timestamp = now - 50 * id % 500;
      replica.last_caught_up_timestamp = now - 100 * id % 1000;
      (id <= voters ? partition.current_voters : partition.observers).push_back(replica);
      if (id <= voters) {
        auto& node = response.nodes.emplace_back();
        node.node_id = id;
        node.listeners.push_back({"CONTROLLER", "127.0.0.1", static_cast<uint16_t>(cluster_.port(id))});
      }
    }
    return response;
  }

  kafka::ListPartitionReassignmentsResponse list_reassignments(
      int32_t, int16_t, const kafka::ListPartitionReassignmentsRequest&) const {
    kafka::ListPartitionReassignmentsResponse response;
    response.error_message = std::nullopt;
    return response;
  }

  // One finished transaction per broker: listed, never open, so nothing to describe.
  kafka::ListTransactionsResponse list_transactions(int32_t broker, int16_t,
                                                    const kafka::ListTransactionsRequest&) const {
    kafka::ListTransactionsResponse response;
    auto& txn = response.transaction_states.emplace_back();
    txn.transactional_id = "synthetic-txn-" + std::to_string(broker);
    txn.producer_id = 1000 + broker;
    txn.transaction_state = "CompleteCommit";
    return response;
  }

  kafka::DescribeClientQuotasResponse describe_quotas(int32_t, int16_t,
                                                      const kafka::DescribeClientQuotasRequest&) const {
    kafka::DescribeClientQuotasResponse response;
    response.error_message = std::nullopt;
    return response;
  }

  kafka::DescribeClusterResponse describe_cluster(int32_t, int16_t,
                                                  const kafka::DescribeClusterRequest&) const {
    kafka::DescribeClusterResponse response;
    response.cluster_id = "synthetic-cluster";
    response.controller_id = 1;
    for (int32_t id = 1; id <= cluster_.brokers(); ++id) {
      auto& broker = response.brokers.emplace_back();
      broker.broker_id = id;
      describe_broker(id, broker);
    }
    return response;
  }

  kafka::FetchResponse fetch(int32_t broker, int16_t, const kafka::FetchRequest& request) const {
    const int64_t now = now_ms();
    kafka::FetchResponse response;
    for (const auto& asked : request.topics) {
      auto& topic = response.responses.emplace_back();
      topic.topic = asked.topic;
      const auto t = cluster_.topic_of(asked.topic);
      for (const auto& wanted : asked.partitions) {
        auto& p = topic.partitions.emplace_back();
        p.partition_index = wanted.partition;
        const auto g = led_by(broker, t, wanted.partition, p.error_code);
        if (!g) continue;
        const int64_t end = cluster_.log_end(*g, now);
        p.high_watermark = end;
        p.last_stable_offset = end;
        p.log_start_offset = cluster_.earliest(*g);
        if (wanted.fetch_offset < cluster_.earliest(*g) || wanted.fetch_offset > end) {
          p.error_code = kOffsetOutOfRange;
          continue;
        }
        const int64_t count = std::min<int64_t>(3, end - wanted.fetch_offset);
        if (count > 0)
          p.records = record_batch(cluster_, *g, wanted.fetch_offset, static_cast<int32_t>(count));
      }
    }
    return response;
  }

  const Cluster& cluster_;
  std::map<int16_t, std::pair<kafka::ApiVersionRange, Handler>> handlers_;
};

// One client connection: requests are answered in order, one at a time (Kafka's own rule).
awaitable<void> serve(tcp::socket socket, int32_t broker, const Answers& answers) {
  try {
    for (;;) {
      std::array<uint8_t, 4> size_bytes{};
      co_await boost::asio::async_read(socket, boost::asio::buffer(size_bytes), use_awaitable);
      const uint32_t size = (uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                            (uint32_t{size_bytes[2]} << 8) | uint32_t{size_bytes[3]};
      if (size > kMaxFrameBytes) co_return;
      std::vector<uint8_t> frame(size);
      co_await boost::asio::async_read(socket, boost::asio::buffer(frame), use_awaitable);
      auto response = answers.answer(broker, frame);
      if (!response) co_return;  // an API we do not offer: hang up, as Kafka does
      co_await boost::asio::async_write(socket, boost::asio::buffer(*response), use_awaitable);
    }
  } catch (const kafka::DecodeError& error) {
    std::cerr << "synthetic_cluster: broker " << broker << ": bad request: " << error.what() << "\n";
  } catch (const boost::system::system_error&) {
    // The client went away.
  } catch (const std::exception& error) {
    std::cerr << "synthetic_cluster: broker " << broker << ": " << error.what() << "\n";
  }
}

awaitable<void> accept(tcp::acceptor& acceptor, int32_t broker, const Answers& answers) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
    socket.set_option(tcp::no_delay(true));
    boost::asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), broker, answers),
                          boost::asio::detached);
  }
}

void print_facts(const Cluster& cluster) {
  const auto& s = cluster.shape();
  std::printf(
      "{\"start_ms\": %lld, \"brokers\": %d, \"topics\": %lld, \"partitions\": %lld, \"groups\": %lld,\n",
      static_cast<long long>(s.start_ms), s.brokers, static_cast<long long>(cluster.topics()),
      static_cast<long long>(s.partitions), static_cast<long long>(s.groups));
  std::printf(" \"partition\": [");
  for (int64_t g = 0; g < s.partitions; ++g) {
    std::printf("%s\n  [\"%s\", %lld, %d, %lld, %lld, %lld]", g ? "," : "",
                cluster.topic_name(g / s.per_topic).c_str(), static_cast<long long>(g % s.per_topic),
                cluster.leader(g), static_cast<long long>(cluster.base(g)),
                static_cast<long long>(cluster.rate(g)), static_cast<long long>(cluster.earliest(g)));
  }
  std::printf("],\n \"group\": [");
  for (int64_t g = 0; g < s.groups; ++g) {
    std::printf("%s\n  [\"%s\", %d, %d, \"%s\", [", g ? "," : "", cluster.group_name(g).c_str(),
                cluster.coordinator(g), cluster.empty(g) ? 0 : 2,
                cluster.topic_name(cluster.group_topic(g)).c_str());
    bool first = true;
    for (int32_t index : cluster.group_partitions(g)) {
      std::printf("%s[%d, %lld]", first ? "" : ", ", index, static_cast<long long>(cluster.lag(g, index)));
      first = false;
    }
    std::printf("]]");
  }
  std::printf("]}\n");
}

const char* usage() {
  return "usage: synthetic_cluster [--brokers N] [--partitions P] [--partitions-per-topic K] [--rf R]\n"
         "         [--groups G] [--partitions-per-group J] [--kraft] [--base-port PORT] [--threads T]\n"
         "         [--start-ms EPOCH_MS] [--facts]\n"
         "Serves a generated Kafka cluster on 127.0.0.1:PORT .. PORT+N-1 (broker b on PORT+b-1) until\n"
         "SIGTERM or SIGINT; prints \"ready ...\" once listening. --facts prints the cluster as JSON and "
         "exits.\n"
         "Limits: N 1..100, P 1..1000000, G 0..100000.\n";
}

std::optional<Shape> parse(int argc, char** argv) {
  Shape shape;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--kraft") {
      shape.kraft = true;
      continue;
    }
    if (flag == "--facts") {
      shape.facts = true;
      continue;
    }
    if (i + 1 >= argc) return std::nullopt;
    const std::string_view text = argv[++i];
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    if (flag == "--brokers" && value >= 1 && value <= 100) {
      shape.brokers = static_cast<int32_t>(value);
    } else if (flag == "--partitions" && value >= 1 && value <= 1'000'000) {
      shape.partitions = value;
    } else if (flag == "--partitions-per-topic" && value >= 1 && value <= 100'000) {
      shape.per_topic = static_cast<int32_t>(value);
    } else if (flag == "--rf" && value >= 1 && value <= 100) {
      shape.rf = static_cast<int32_t>(value);
    } else if (flag == "--groups" && value >= 0 && value <= 100'000) {
      shape.groups = value;
    } else if (flag == "--partitions-per-group" && value >= 1 && value <= 100'000) {
      shape.per_group = static_cast<int32_t>(value);
    } else if (flag == "--base-port" && value >= 1 && value <= 65535) {
      shape.base_port = static_cast<int>(value);
    } else if (flag == "--threads" && value >= 1 && value <= 16) {
      shape.threads = static_cast<int>(value);
    } else if (flag == "--start-ms" && value > 0) {
      shape.start_ms = value;
    } else {
      return std::nullopt;
    }
  }
  if (shape.base_port + shape.brokers - 1 > 65535) return std::nullopt;
  if (shape.start_ms == 0) shape.start_ms = now_ms();
  return shape;
}

}  // namespace

int main(int argc, char** argv) {
  const auto shape = parse(argc, argv);
  if (!shape) {
    std::cerr << usage();
    return 2;
  }
  const Cluster cluster(*shape);
  if (shape->facts) {
    print_facts(cluster);
    return 0;
  }
  const Answers answers(cluster);
  boost::asio::io_context io(shape->threads);
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  try {
    for (int32_t broker = 1; broker <= shape->brokers; ++broker) {
      acceptors.push_back(std::make_unique<tcp::acceptor>(
          io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), cluster.port(broker))));
      boost::asio::co_spawn(io, accept(*acceptors.back(), broker, answers), boost::asio::detached);
    }
  } catch (const boost::system::system_error& error) {
    std::cerr << "synthetic_cluster: cannot listen on 127.0.0.1:"
              << cluster.port(static_cast<int32_t>(acceptors.size()) + 1) << ": " << error.what() << "\n";
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  std::printf("ready ports=%d-%d start_ms=%lld\n", cluster.port(1), cluster.port(shape->brokers),
              static_cast<long long>(shape->start_ms));
  std::fflush(stdout);
  std::vector<std::thread> threads;
  for (int i = 1; i < shape->threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  return 0;
}
