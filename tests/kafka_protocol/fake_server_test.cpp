// The client against misbehaving servers on loopback: silent, hanging up
// mid-frame, or announcing a frame too large to accept; and against brokers that
// take one coordinator key or group per request (Kafka 2.8).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <regex>
#include <set>
#include <thread>

#include "kafka/client/kafka_client.h"
#include "kafka/generated/find_coordinator.h"
#include "kafka/generated/metadata.h"
#include "kafka/generated/offset_fetch.h"
#include "support/fake_kafka_broker.h"

namespace kse::kafka {
namespace {

using tcp = boost::asio::ip::tcp;

// Accepts one connection and hands the socket to `behave` on its own thread.
class FakeBroker {
 public:
  template <typename F>
  explicit FakeBroker(F behave)
      : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, behave] {
      boost::system::error_code error;
      tcp::socket socket(io_);
      acceptor_.accept(socket, error);
      if (!error) behave(socket);
    });
  }
  ~FakeBroker() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread thread_;
};

class ClientAgainstFakeBroker : public ::testing::Test {
 protected:
  Result<MetadataResponse> metadata_from(const std::string& address, std::chrono::milliseconds timeout) {
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    ClientConfig config;
    config.bootstrap_servers = {address};
    config.connect_timeout = timeout;
    Result<MetadataResponse> result = Error{};
    auto client = std::make_unique<KafkaClient>(io, config);
    result = client->send_any_sync(MetadataRequest{}, timeout);
    // The client belongs to the io thread: it is destroyed there.
    boost::asio::post(io, [c = std::move(client), &guard]() mutable {
      c.reset();
      guard.reset();
    });
    runner.join();
    return result;
  }
};

TEST_F(ClientAgainstFakeBroker, SilentBrokerTimesOutWithinTheTimeout) {
  FakeBroker broker([](tcp::socket& socket) {
    char buffer[64];
    boost::system::error_code error;
    socket.read_some(boost::asio::buffer(buffer), error);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  });
  const auto started = std::chrono::steady_clock::now();
  auto result = metadata_from(broker.address(), std::chrono::milliseconds(500));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Error::Kind::kTimeout) << result.error().message;
  EXPECT_LT(took, std::chrono::milliseconds(1400));
}

TEST_F(ClientAgainstFakeBroker, HangUpMidFrameIsAConnectionErrorAtOnce) {
  FakeBroker broker([](tcp::socket& socket) {
    char buffer[64];
    boost::system::error_code error;
    socket.read_some(boost::asio::buffer(buffer), error);
    const uint8_t partial[] = {0x00, 0x00, 0x00, 0x40, 0x00, 0x00};
    boost::asio::write(socket, boost::asio::buffer(partial), error);
    socket.close();
  });
  const auto started = std::chrono::steady_clock::now();
  auto result = metadata_from(broker.address(), std::chrono::milliseconds(5000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Error::Kind::kConnection) << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2000));
}

TEST_F(ClientAgainstFakeBroker, HugeFrameIsRefusedBeforeAllocating) {
  FakeBroker broker([](tcp::socket& socket) {
    char buffer[64];
    boost::system::error_code error;
    socket.read_some(boost::asio::buffer(buffer), error);
    const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01};
    boost::asio::write(socket, boost::asio::buffer(huge), error);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  });
  auto result = metadata_from(broker.address(), std::chrono::milliseconds(3000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Error::Kind::kProtocol) << result.error().message;
  EXPECT_NE(result.error().message.find("2147483647 bytes"), std::string::npos) << result.error().message;
}

// A loopback port nothing listens on.
int closed_port() {
  boost::asio::io_context io;
  tcp::acceptor probe(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const int port = probe.local_endpoint().port();
  probe.close();
  return port;
}

TEST_F(ClientAgainstFakeBroker, ReconnectBackoffDoublesUpToItsCap) {
  const int port = closed_port();
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  ClientConfig config;
  config.bootstrap_servers = {"127.0.0.1:" + std::to_string(port)};
  config.backoff_min = std::chrono::milliseconds(100);
  config.backoff_max = std::chrono::milliseconds(400);
  auto client = std::make_unique<KafkaClient>(io, config);
  std::vector<int> waits;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto refused = client->send_any_sync(MetadataRequest{}, std::chrono::seconds(1));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message.find("next attempt"), std::string::npos) << refused.error().message;
    // At once again: no new attempt, the error says when the next one may be made.
    auto held = client->send_any_sync(MetadataRequest{}, std::chrono::seconds(1));
    ASSERT_FALSE(held.ok());
    std::smatch match;
    const std::string message = held.error().message;
    ASSERT_TRUE(std::regex_search(message, match, std::regex(R"(next attempt in (\d+) ms)"))) << message;
    waits.push_back(std::stoi(match[1]));
    std::this_thread::sleep_for(std::chrono::milliseconds(waits.back() + 30));
  }
  boost::asio::post(io, [c = std::move(client), &guard]() mutable {
    c.reset();
    guard.reset();
  });
  runner.join();
  // 100, 200, 400, 400, 400 ms, each with up to 20% jitter, less the time already gone.
  const int expected[] = {100, 200, 400, 400, 400};
  for (size_t i = 0; i < waits.size(); ++i) {
    EXPECT_LE(waits[i], expected[i] * 6 / 5) << "attempt " << i;
    EXPECT_GE(waits[i], expected[i] - 60) << "attempt " << i;
  }
}

TEST_F(ClientAgainstFakeBroker, RefusedConnectionNamesTheAddress) {
  const int port = closed_port();
  auto result = metadata_from("127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(2000));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

// A client on its own io thread, destroyed there.
class ClientOnItsThread {
 public:
  explicit ClientOnItsThread(const std::string& address) : guard_(boost::asio::make_work_guard(io_)) {
    ClientConfig config;
    config.bootstrap_servers = {address};
    client_ = std::make_unique<KafkaClient>(io_, config);
    runner_ = std::thread([this] { io_.run(); });
  }
  ~ClientOnItsThread() {
    boost::asio::post(io_, [this] {
      client_.reset();
      guard_.reset();
    });
    runner_.join();
  }
  KafkaClient& operator*() { return *client_; }
  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(io_, std::move(task), boost::asio::use_future).get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::unique_ptr<KafkaClient> client_;
  std::thread runner_;
};

TEST(ClientAgainstKafka28, FindCoordinatorsAsksOneKeyPerRequestAllInFlight) {
  const std::vector<std::string> keys = {"a", "b", "c"};
  std::map<bool, std::map<std::string, int32_t>> found;
  for (bool batched : {true, false}) {
    SCOPED_TRACE(batched ? "FindCoordinator v4" : "FindCoordinator v3");
    test::FakeKafkaBroker broker(test::group_api_versions(batched));
    test::answer_coordinators(broker, {{"a", 1}, {"b", 2}});
    // No answer before every request has arrived: the client must not wait for one to send the next.
    if (!batched) broker.hold_answers(FindCoordinatorRequest::kApiKey, keys.size());
    broker.start();
    {
      ClientOnItsThread client(broker.address());
      auto result = client.run((*client).find_coordinators(kGroupCoordinator, keys, std::chrono::seconds(5)));
      ASSERT_TRUE(result.ok()) << result.error().message;
      found[batched] = result.value();
    }
    const auto sent = broker.received<FindCoordinatorRequest>();
    if (batched) {
      ASSERT_EQ(sent.size(), 1u);
      EXPECT_EQ(sent[0].first, 4);
      EXPECT_EQ(sent[0].second.coordinator_keys, keys);
    } else {
      ASSERT_EQ(sent.size(), keys.size());
      std::set<std::string> asked;
      for (const auto& [version, request] : sent) {
        EXPECT_EQ(version, 3);
        EXPECT_EQ(request.key_type, kGroupCoordinator);
        asked.insert(request.key);
      }
      EXPECT_EQ(asked, std::set<std::string>(keys.begin(), keys.end()));
    }
  }
  // COORDINATOR_NOT_AVAILABLE leaves a key out, in either layout.
  EXPECT_EQ(found[true], (std::map<std::string, int32_t>{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(found[false], found[true]);
}

TEST(ClientAgainstKafka28, NegotiatedVersionTellsTheOffsetFetchLayout) {
  for (bool batched : {true, false}) {
    test::FakeKafkaBroker broker(test::group_api_versions(batched));
    test::answer_metadata(broker, 1);
    broker.start();
    ClientOnItsThread client(broker.address());
    ASSERT_TRUE(client.run((*client).send_any(MetadataRequest{}, std::chrono::seconds(5))).ok());
    auto version = client.run((*client).negotiated_version<OffsetFetchRequest>(1, std::chrono::seconds(5)));
    ASSERT_TRUE(version.ok()) << version.error().message;
    EXPECT_EQ(version.value(), batched ? 8 : 7);
    EXPECT_EQ(version.value() >= kFirstBatchedOffsetFetchVersion, batched);
    auto unknown = client.run((*client).negotiated_version<OffsetFetchRequest>(7, std::chrono::seconds(1)));
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().kind, Error::Kind::kUnknownBroker);
  }
}

}  // namespace
}  // namespace kse::kafka
