#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "model/snapshot.h"

// ZooKeeper's four-letter words (mntr, srvr, ruok) on a node's client port: the ensemble's
// own view of its health, in ZooKeeper mode (Kafka 2.8 and 3.x).
namespace kse::zookeeper {

struct FourLetterAnswer {
  std::optional<std::string> text;  // the node's whole answer; absent when it gave none
  std::string error;                // why there is no answer
  bool timed_out = false;           // the node did not answer within the timeout
};

// Sends `word` to host:port and reads the answer until the node closes the connection, all
// within `timeout`. Answers longer than 1 MiB are cut (mntr is a few hundred bytes).
boost::asio::awaitable<FourLetterAnswer> ask_four_letter(std::string host, int port, std::string word,
                                                         std::chrono::milliseconds timeout);

// mntr's lines "zk_name<TAB>value", as name -> value. Lines of another shape are left out.
std::map<std::string, std::string> parse_mntr(std::string_view text);

// Fills `node`'s state and figures from its mntr answer. False when the answer is not
// mntr's (no zk_server_state): a node that refuses the word answers "mntr is not executed
// because it is not in the whitelist."
bool read_mntr(const std::map<std::string, std::string>& mntr, model::ZooKeeperNode& node);

}  // namespace kse::zookeeper
