// Protocol figures: decode throughput of large Metadata and ListOffsets responses,
// and 1,000 ListOffsets requests pipelined on one connection vs one at a time
// against a real broker (127.0.0.1:9092; skipped when none answers).
#include <benchmark/benchmark.h>

#include "latency_proxy.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <thread>

#include "kafka/client/kafka_client.h"
#include "kafka/generated/list_offsets.h"
#include "kafka/generated/metadata.h"
#include "kafka/protocol.h"

namespace {

using namespace kse::kafka;

MetadataRequest every_topic() {
  MetadataRequest request;
  request.topics = std::nullopt;
  request.allow_auto_topic_creation = false;
  return request;
}

std::vector<uint8_t> metadata_frame(int topics, int partitions) {
  Writer w;
  w.int32(1);
  w.tags();
  w.int32(0);
  w.array_length(3, true);
  for (int b = 1; b <= 3; ++b) {
    w.int32(b);
    w.string("broker-" + std::to_string(b) + ".kafka.internal", true);
    w.int32(9092);
    w.nullable_string(std::string("rack-") + std::to_string(b), true);
    w.tags();
  }
  w.nullable_string(std::string("cluster-id"), true);
  w.int32(1);
  w.array_length(static_cast<size_t>(topics), true);
  for (int t = 0; t < topics; ++t) {
    w.int16(0);
    w.nullable_string("courier-positions-" + std::to_string(t), true);
    w.uuid(Uuid{});
    w.boolean(false);
    w.array_length(static_cast<size_t>(partitions), true);
    for (int p = 0; p < partitions; ++p) {
      w.int16(0);
      w.int32(p);
      w.int32(p % 3 + 1);
      w.int32(5);
      write_int32_array(w, {1, 2, 3}, true);
      write_int32_array(w, {1, 2, 3}, true);
      write_int32_array(w, {}, true);
      w.tags();
    }
    w.int32(INT32_MIN);
    w.tags();
  }
  w.tags();
  return w.bytes();
}

std::vector<uint8_t> list_offsets_frame(int topics, int partitions) {
  Writer w;
  w.int32(1);
  w.tags();
  w.int32(0);
  w.array_length(static_cast<size_t>(topics), true);
  for (int t = 0; t < topics; ++t) {
    w.string("courier-positions-" + std::to_string(t), true);
    w.array_length(static_cast<size_t>(partitions), true);
    for (int p = 0; p < partitions; ++p) {
      w.int32(p);
      w.int16(0);
      w.int64(-1);
      w.int64(123456789 + p);
      w.int32(5);
      w.tags();
    }
    w.tags();
  }
  w.tags();
  return w.bytes();
}

void BM_DecodeMetadata_10000x10(benchmark::State& state) {
  const auto frame = metadata_frame(10000, 10);
  for (auto _ : state) benchmark::DoNotOptimize(decode_response<MetadataRequest>(frame, 12));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_DecodeMetadata_10000x10)->Unit(benchmark::kMillisecond);

void BM_DecodeListOffsets_100000(benchmark::State& state) {
  const auto frame = list_offsets_frame(1000, 100);
  for (auto _ : state) benchmark::DoNotOptimize(decode_response<ListOffsetsRequest>(frame, 7));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_DecodeListOffsets_100000)->Unit(benchmark::kMillisecond);

struct LiveClient {
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard{
      io.get_executor()};
  std::unique_ptr<KafkaClient> client;
  std::thread thread;
  int32_t leader = -1;
  LiveClient() {
    ClientConfig config;
    config.bootstrap_servers = {"127.0.0.1:9092"};
    config.connect_timeout = std::chrono::seconds(2);
    client = std::make_unique<KafkaClient>(io, config);
    thread = std::thread([this] { io.run(); });
    auto metadata = client->send_any_sync(every_topic(), std::chrono::seconds(3));
    if (!metadata.ok()) return;
    for (const auto& t : metadata.value().topics) {
      if (t.name != "position") continue;
      for (const auto& p : t.partitions) {
        if (p.partition_index == 0) leader = p.leader_id;
      }
    }
  }
  ~LiveClient() {
    boost::asio::post(io, [this] {
      client.reset();
      guard.reset();
    });
    thread.join();
  }
  static ListOffsetsRequest request() {
    ListOffsetsRequest r;
    r.replica_id = -1;  // a consumer
    r.topics.push_back({"position", {{0, -1, kLatestTimestamp}}});
    return r;
  }
};

LiveClient& live() {
  static LiveClient client;
  return client;
}

void BM_ListOffsets1000_Sequential(benchmark::State& state) {
  auto& c = live();
  if (c.leader < 0) return state.SkipWithError("no broker on 127.0.0.1:9092 (start cluster/kafka-cluster)");
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      auto result = c.client->send_sync(c.leader, LiveClient::request(), std::chrono::seconds(10));
      if (!result.ok()) return state.SkipWithError(result.error().message.c_str());
    }
  }
}
BENCHMARK(BM_ListOffsets1000_Sequential)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ListOffsets1000_Pipelined(benchmark::State& state) {
  auto& c = live();
  if (c.leader < 0) return state.SkipWithError("no broker on 127.0.0.1:9092 (start cluster/kafka-cluster)");
  for (auto _ : state) {
    std::vector<std::future<Result<ListOffsetsResponse>>> futures;
    futures.reserve(1000);
    for (int i = 0; i < 1000; ++i) {
      futures.push_back(boost::asio::co_spawn(
          c.io, c.client->send(c.leader, LiveClient::request(), std::chrono::seconds(10)),
          boost::asio::use_future));
    }
    for (auto& f : futures) {
      if (!f.get().ok()) return state.SkipWithError("a pipelined request failed");
    }
  }
}
BENCHMARK(BM_ListOffsets1000_Pipelined)->Unit(benchmark::kMillisecond)->Iterations(10);

// The same comparison on one connection through a loopback proxy that adds a
// 1 ms round trip, as between an exporter and a broker in another zone. On
// plain loopback the broker's own per-connection processing (one request at a
// time) dominates and bounds the gain; with a real network in between, the
// round trips saved are what pipelining buys.
struct DelayedConnection {
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard{
      io.get_executor()};
  std::unique_ptr<kse::bench::LatencyProxy> proxy;
  ClientConfig config;
  std::shared_ptr<BrokerConnection> connection;
  std::thread thread;
  explicit DelayedConnection(std::chrono::microseconds one_way) {
    auto& c = live();
    if (c.leader < 0) return;
    int leader_port = -1;
    auto metadata = c.client->send_any_sync(every_topic(), std::chrono::seconds(3));
    if (!metadata.ok()) return;
    for (const auto& b : metadata.value().brokers) {
      if (b.node_id == c.leader) leader_port = b.port;
    }
    if (leader_port < 0) return;
    proxy = std::make_unique<kse::bench::LatencyProxy>(io, leader_port, one_way);
    config.connect_timeout = std::chrono::seconds(2);
    connection =
        std::make_shared<BrokerConnection>(io, c.leader, "127.0.0.1", proxy->port(), config, nullptr);
    thread = std::thread([this] { io.run(); });
  }
  ~DelayedConnection() {
    boost::asio::post(io, [this] {
      if (connection) connection->close();
      connection.reset();
      proxy.reset();
      guard.reset();
      io.stop();
    });
    if (thread.joinable()) thread.join();
  }
  std::future<Result<ListOffsetsResponse>> send() {
    return boost::asio::co_spawn(
        io,
        connection->send(LiveClient::request(), std::chrono::steady_clock::now() + std::chrono::seconds(30)),
        boost::asio::use_future);
  }
};

DelayedConnection& delayed() {
  static DelayedConnection connection(std::chrono::microseconds(500));
  return connection;
}

void BM_ListOffsets1000_Sequential_Rtt1ms(benchmark::State& state) {
  auto& c = delayed();
  if (!c.connection) return state.SkipWithError("no broker on 127.0.0.1:9092 (start cluster/kafka-cluster)");
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      auto result = c.send().get();
      if (!result.ok()) return state.SkipWithError(result.error().message.c_str());
    }
  }
}
BENCHMARK(BM_ListOffsets1000_Sequential_Rtt1ms)->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_ListOffsets1000_Pipelined_Rtt1ms(benchmark::State& state) {
  auto& c = delayed();
  if (!c.connection) return state.SkipWithError("no broker on 127.0.0.1:9092 (start cluster/kafka-cluster)");
  for (auto _ : state) {
    std::vector<std::future<Result<ListOffsetsResponse>>> futures;
    futures.reserve(1000);
    for (int i = 0; i < 1000; ++i) futures.push_back(c.send());
    for (auto& f : futures) {
      if (!f.get().ok()) return state.SkipWithError("a pipelined request failed");
    }
  }
}
BENCHMARK(BM_ListOffsets1000_Pipelined_Rtt1ms)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
