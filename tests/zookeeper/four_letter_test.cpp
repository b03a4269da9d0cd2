#include "zookeeper/four_letter.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

namespace kse::zookeeper {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// mntr as ZooKeeper 3.8 answers it (a leader of three), cut to the lines that matter.
constexpr std::string_view kLeaderMntr =
    "zk_version\t3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12 22:16 UTC\n"
    "zk_server_state\tleader\n"
    "zk_avg_latency\t0.4167\n"
    "zk_outstanding_requests\t0\n"
    "zk_znode_count\t151\n"
    "zk_watch_count\t12\n"
    "zk_num_alive_connections\t4\n"
    "zk_synced_followers\t2\n"
    "zk_open_file_descriptor_count\t71\n";

TEST(MntrTest, ALeadersAnswerGivesItsRoleAndFigures) {
  model::ZooKeeperNode node;
  ASSERT_TRUE(read_mntr(parse_mntr(kLeaderMntr), node));
  EXPECT_EQ(node.state, "leader");
  EXPECT_EQ(node.avg_latency_ms, 0.4167);
  EXPECT_EQ(node.outstanding_requests, 0);
  EXPECT_EQ(node.znodes, 151);
  EXPECT_EQ(node.watches, 12);
  EXPECT_EQ(node.alive_connections, 4);
  EXPECT_EQ(node.synced_followers, 2);
}

TEST(MntrTest, AFollowerHasNoSyncedFollowersAndBadNumbersAreLeftOut) {
  model::ZooKeeperNode node;
  ASSERT_TRUE(read_mntr(parse_mntr("zk_server_state\tfollower\r\nzk_znode_count\tmany\nzk_avg_latency\t\n"
                                   "garbage line\n\tzk_watch_count\n"),
                        node));
  EXPECT_EQ(node.state, "follower");
  EXPECT_FALSE(node.synced_followers);
  EXPECT_FALSE(node.znodes);
  EXPECT_FALSE(node.avg_latency_ms);
  EXPECT_FALSE(node.watches);
}

TEST(MntrTest, ARefusedWordIsNoAnswer) {
  model::ZooKeeperNode node;
  EXPECT_FALSE(read_mntr(parse_mntr("mntr is not executed because it is not in the whitelist.\n"), node));
  EXPECT_FALSE(read_mntr(parse_mntr(""), node));
}

// A node on loopback that reads the word, then answers `answer` and closes, or never answers.
struct FakeNode {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  std::string word;
  int port() const { return acceptor.local_endpoint().port(); }

  void serve(std::optional<std::string> answer) {
    asio::co_spawn(
        io,
        [this, answer]() -> asio::awaitable<void> {
          auto socket = co_await acceptor.async_accept(asio::use_awaitable);
          word.resize(4);
          co_await asio::async_read(socket, asio::buffer(word), asio::use_awaitable);
          if (!answer) {
            asio::steady_timer hold(io, std::chrono::seconds(30));
            boost::system::error_code ignored;
            co_await hold.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
            co_return;
          }
          co_await asio::async_write(socket, asio::buffer(*answer), asio::use_awaitable);
        },
        asio::detached);
  }

  FourLetterAnswer ask(milliseconds timeout) {
    FourLetterAnswer result;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          result = co_await ask_four_letter("127.0.0.1", port(), "mntr", timeout);
        },
        [this](std::exception_ptr) { io.stop(); });
    io.run_for(std::chrono::seconds(10));
    return result;
  }
};

TEST(FourLetterTest, ReadsTheWholeAnswerUntilTheNodeCloses) {
  FakeNode node;
  std::string big(std::string(kLeaderMntr) + std::string(100000, 'x'));
  node.serve(big);
  const auto answer = node.ask(milliseconds(2000));
  EXPECT_EQ(node.word, "mntr");
  ASSERT_TRUE(answer.text) << answer.error;
  EXPECT_EQ(*answer.text, big);
}

TEST(FourLetterTest, ANodeThatNeverAnswersCostsTheTimeoutAndSaysSo) {
  FakeNode node;
  node.serve(std::nullopt);
  const auto started = std::chrono::steady_clock::now();
  const auto answer = node.ask(milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(answer.text);
  EXPECT_TRUE(answer.timed_out);
  EXPECT_NE(answer.error.find("no answer within 300 ms"), std::string::npos) << answer.error;
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(FourLetterTest, ARefusedConnectionIsAConnectionError) {
  int port = 0;
  {
    FakeNode closed;
    port = closed.port();
  }
  asio::io_context io;
  FourLetterAnswer answer;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        answer = co_await ask_four_letter("127.0.0.1", port, "mntr", milliseconds(2000));
      },
      asio::detached);
  io.run_for(std::chrono::seconds(10));
  EXPECT_FALSE(answer.text);
  EXPECT_FALSE(answer.timed_out);
  EXPECT_NE(answer.error.find("connect"), std::string::npos) << answer.error;
}

}  // namespace
}  // namespace kse::zookeeper
