#include "kafka/client/kafka_client.h"

#include "kafka/client/when_all.h"

#include <algorithm>
#include <stdexcept>

namespace kse::kafka {

namespace {
std::pair<std::string, int> split_host_port(const std::string& entry) {
  const auto colon = entry.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::invalid_argument("bootstrap server '" + entry + "' is not host:port");
  }
  int port = 0;
  try {
    port = std::stoi(entry.substr(colon + 1));
  } catch (const std::exception&) {
    port = 0;
  }
  if (port < 1 || port > 65535)
    throw std::invalid_argument("bootstrap server '" + entry + "' has no valid port");
  std::string host = entry.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, port};
}

// Throws std::invalid_argument naming what is wrong with the files.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const TlsSettings& tls) {
  auto context = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  context->set_verify_mode(boost::asio::ssl::verify_peer);
  try {
    if (tls.ca_file.empty()) {
      context->set_default_verify_paths();
    } else {
      context->load_verify_file(tls.ca_file);
    }
    if (!tls.cert_file.empty()) {
      context->use_certificate_chain_file(tls.cert_file);
      context->use_private_key_file(tls.key_file, boost::asio::ssl::context::pem);
    }
  } catch (const boost::system::system_error& error) {
    throw std::invalid_argument("TLS setup failed: " + std::string(error.what()));
  }
  return context;
}

}  // namespace

KafkaClient::KafkaClient(boost::asio::io_context& io, ClientConfig config)
    : io_(io), config_(std::move(config)) {
  if (config_.tls.enabled) tls_ = make_tls_context(config_.tls);
  int32_t pseudo_id = -1;
  for (const auto& entry : config_.bootstrap_servers) {
    auto [host, port] = split_host_port(entry);
    bootstrap_.push_back(
        std::make_shared<BrokerConnection>(io_, pseudo_id--, host, port, config_, tls_.get(), costs_));
  }
  if (bootstrap_.empty()) throw std::invalid_argument("no bootstrap servers");
}

void KafkaClient::reload_credentials(const TlsSettings& tls, const SaslSettings& sasl) {
  std::unique_ptr<boost::asio::ssl::context> fresh;
  if (tls.enabled) fresh = make_tls_context(tls);  // throws before anything changes
  config_.tls = tls;
  config_.sasl = sasl;
  // A closed connection's last handlers may still run: its context lives one more reload.
  retired_tls_ = std::move(tls_);
  tls_ = std::move(fresh);
  auto reopen = [this](std::shared_ptr<BrokerConnection>& connection) {
    connection->close();
    connection = std::make_shared<BrokerConnection>(io_, connection->broker_id(), connection->host(),
                                                    connection->port(), config_, tls_.get(), costs_);
  };
  for (auto& [id, connection] : brokers_) reopen(connection);
  for (auto& connection : bootstrap_) reopen(connection);
  for (auto& [id, connection] : controller_lane_) connection->close();
  controller_lane_.clear();  // opened again on first use
}

KafkaClient::~KafkaClient() {
  for (auto& [id, connection] : brokers_) connection->close();
  for (auto& [id, connection] : controller_lane_) connection->close();
  for (auto& connection : bootstrap_) connection->close();
}

std::vector<int32_t> KafkaClient::broker_ids() const {
  std::vector<int32_t> ids;
  for (const auto& [id, connection] : brokers_) ids.push_back(id);
  return ids;
}

std::shared_ptr<BrokerConnection> KafkaClient::connection_for(int32_t broker_id) {
  auto it = brokers_.find(broker_id);
  return it == brokers_.end() ? nullptr : it->second;
}

std::shared_ptr<BrokerConnection> KafkaClient::controller_lane_for(const BrokerConnection& broker) {
  auto& lane = controller_lane_[broker.broker_id()];
  if (!lane) {
    lane = std::make_shared<BrokerConnection>(io_, broker.broker_id(), broker.host(), broker.port(), config_,
                                              tls_.get(), costs_);
  }
  return lane;
}

// The last broker that answered, then connected brokers, then the others, then the
// bootstrap addresses; a broker that failed in the last minute goes last.
std::vector<std::shared_ptr<BrokerConnection>> KafkaClient::candidates(bool controller_lane) {
  std::vector<std::shared_ptr<BrokerConnection>> out;
  auto add = [&](const std::shared_ptr<BrokerConnection>& broker) {
    out.push_back(controller_lane ? controller_lane_for(*broker) : broker);
  };
  if (auto preferred = connection_for(preferred_)) add(preferred);
  for (const auto& [id, connection] : brokers_) {
    if (id != preferred_ && connection->ready()) add(connection);
  }
  for (const auto& [id, connection] : brokers_) {
    if (id != preferred_ && !connection->ready()) add(connection);
  }
  for (const auto& connection : bootstrap_) out.push_back(connection);
  const auto recent = std::chrono::steady_clock::now() - std::chrono::minutes(1);
  std::stable_partition(out.begin(), out.end(), [&](const auto& connection) {
    auto it = last_failure_.find(connection->broker_id());
    return it == last_failure_.end() || it->second < recent;
  });
  return out;
}

// Brokers that left stay known: their requests fail fast and their series say so.
void KafkaClient::learn_brokers(const MetadataResponse& metadata) {
  for (const auto& broker : metadata.brokers) {
    auto it = brokers_.find(broker.node_id);
    if (it != brokers_.end() && it->second->host() == broker.host && it->second->port() == broker.port) {
      continue;
    }
    if (it != brokers_.end()) it->second->close();
    if (auto lane = controller_lane_.find(broker.node_id); lane != controller_lane_.end()) {
      lane->second->close();
      controller_lane_.erase(lane);
    }
    brokers_[broker.node_id] = std::make_shared<BrokerConnection>(io_, broker.node_id, broker.host,
                                                                  broker.port, config_, tls_.get(), costs_);
  }
}

boost::asio::awaitable<Result<std::map<std::string, int32_t>>> KafkaClient::find_coordinators(
    int8_t key_type, std::vector<std::string> keys, std::chrono::milliseconds timeout) {
  using Coordinators = std::map<std::string, int32_t>;
  auto attempt = [&](BrokerConnection& connection,
                     Deadline deadline) -> boost::asio::awaitable<Result<Coordinators>> {
    auto version = co_await connection.negotiated_version<FindCoordinatorRequest>(deadline);
    if (!version.ok()) co_return version.error();
    Coordinators found;
    if (version.value() >= kFirstBatchedFindCoordinatorVersion) {
      FindCoordinatorRequest request;
      request.key_type = key_type;
      request.coordinator_keys = keys;
      auto answer = co_await connection.send(std::move(request), deadline);
      if (!answer.ok()) co_return answer.error();
      for (const auto& coordinator : answer.value().coordinators) {
        if (coordinator.error_code == 0 && coordinator.node_id >= 0)
          found[coordinator.key] = coordinator.node_id;
      }
      co_return found;
    }
    // One key per request (Kafka 2.8): every key's request in flight together on this connection.
    std::optional<Error> failure;
    auto find_one = [&](std::string key) -> boost::asio::awaitable<void> {
      FindCoordinatorRequest request;
      request.key_type = key_type;
      request.key = key;
      auto answer = co_await connection.send(std::move(request), deadline);
      if (!answer.ok()) {
        if (!failure) failure = answer.error();
        co_return;
      }
      if (answer.value().error_code == 0 && answer.value().node_id >= 0) found[key] = answer.value().node_id;
    };
    std::vector<boost::asio::awaitable<void>> requests;
    for (const auto& key : keys) requests.push_back(find_one(key));
    co_await when_all(std::move(requests));
    if (failure) co_return *failure;
    co_return found;
  };
  co_return co_await on_any_broker<Coordinators>(FindCoordinatorRequest::kName, false, timeout, attempt);
}

}  // namespace kse::kafka
