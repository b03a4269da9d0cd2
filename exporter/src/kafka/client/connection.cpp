#include "kafka/client/connection.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <exception>
#include <functional>
#include <random>
#include <thread>

#include "kafka/client/gssapi.h"
#include "kafka/client/sasl.h"
#include "kafka/generated/api_versions.h"
#include "kafka/generated/sasl_authenticate.h"
#include "kafka/generated/sasl_handshake.h"
#include "oauth/token_provider.h"

namespace kse::kafka {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

// Runs `work`, which blocks (GSS-API asks the KDC), on a thread of its own so the event loop
// goes on; nothing at `deadline`, the thread then finishes into state no one reads.
awaitable<std::optional<std::string>> off_loop(asio::io_context& io, Deadline deadline,
                                               std::function<std::string()> work) {
  struct Outcome {
    std::atomic<bool> done{false};
    std::string value;
    std::exception_ptr error;
  };
  auto outcome = std::make_shared<Outcome>();
  std::thread([outcome, work = std::move(work)]() mutable {
    try {
      outcome->value = work();
    } catch (...) {
      outcome->error = std::current_exception();
    }
    outcome->done.store(true, std::memory_order_release);
  }).detach();
  asio::steady_timer poll(io);
  while (!outcome->done.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() >= deadline) co_return std::nullopt;
    poll.expires_after(std::chrono::milliseconds(5));
    co_await poll.async_wait(use_awaitable);
  }
  if (outcome->error) std::rethrow_exception(outcome->error);
  co_return std::move(outcome->value);
}

}  // namespace

// Plain TCP or TLS over TCP, chosen once per connection.
struct BrokerConnection::Transport {
  explicit Transport(asio::io_context& io, asio::ssl::context* tls) {
    if (tls != nullptr) {
      secure.emplace(io, *tls);
    } else {
      plain.emplace(io);
    }
  }
  tcp::socket& socket() { return secure ? secure->next_layer() : *plain; }
  template <typename Buffer>
  awaitable<void> read(Buffer buffer) {
    if (secure) {
      co_await asio::async_read(*secure, buffer, use_awaitable);
    } else {
      co_await asio::async_read(*plain, buffer, use_awaitable);
    }
  }
  template <typename Buffer>
  awaitable<void> write(Buffer buffer) {
    if (secure) {
      co_await asio::async_write(*secure, buffer, use_awaitable);
    } else {
      co_await asio::async_write(*plain, buffer, use_awaitable);
    }
  }
  void shutdown() {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }
  std::optional<tcp::socket> plain;
  std::optional<asio::ssl::stream<tcp::socket>> secure;
};

BrokerConnection::BrokerConnection(asio::io_context& io, int32_t broker_id, std::string host, int port,
                                   const ClientConfig& config, asio::ssl::context* tls,
                                   std::shared_ptr<ResponseCosts> costs)
    : io_(io),
      broker_id_(broker_id),
      host_(std::move(host)),
      port_(port),
      config_(config),
      tls_(tls),
      costs_(std::move(costs)) {}

void BrokerConnection::count_cost(const char* api, size_t bytes,
                                  std::chrono::steady_clock::duration decoding) {
  if (!costs_) return;
  auto it = costs_->find(std::string_view(api));
  if (it == costs_->end()) it = costs_->emplace(api, ApiCost{}).first;
  it->second.bytes += bytes;
  it->second.decode_seconds += std::chrono::duration<double>(decoding).count();
}

BrokerConnection::~BrokerConnection() { close(); }

std::string BrokerConnection::describe() const {
  const std::string who = broker_id_ >= 0 ? "broker " + std::to_string(broker_id_) : "bootstrap";
  return who + " (" + host_ + ":" + std::to_string(port_) + ")";
}

void BrokerConnection::close() {
  if (transport_) transport_->shutdown();
  transport_.reset();
  ++generation_;
  state_ = State::kDisconnected;
  write_queue_.clear();
  writing_ = false;
  wake_connect_waiters();
}

void BrokerConnection::wake_connect_waiters() {
  for (auto* waiter : connect_waiters_) waiter->cancel();
}

std::chrono::milliseconds BrokerConnection::next_backoff() {
  backoff_ = backoff_.count() == 0 ? config_.backoff_min : std::min(backoff_ * 2, config_.backoff_max);
  static thread_local std::mt19937 random{std::random_device{}()};
  // Up to 20% jitter so many exporters do not reconnect in step.
  std::uniform_int_distribution<int64_t> jitter(0, backoff_.count() / 5);
  return backoff_ + std::chrono::milliseconds(jitter(random));
}

void BrokerConnection::fail_all(const Error& error) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, waiter] : pending) {
    waiter->error = error;
    waiter->signal->cancel();
  }
}

awaitable<Result<std::vector<uint8_t>>> BrokerConnection::exchange(int32_t correlation_id,
                                                                   std::vector<uint8_t> frame,
                                                                   Deadline deadline, const char* api_name) {
  if (!transport_) {
    co_return Error{Error::Kind::kConnection, describe() + ": " + api_name + ": not connected"};
  }
  auto waiter = std::make_shared<Pending>();
  waiter->signal = std::make_unique<asio::steady_timer>(io_, deadline);
  pending_[correlation_id] = waiter;
  write_queue_.push_back(std::move(frame));
  if (!writing_) {
    writing_ = true;
    // The loop holds the connection alive until it ends, even if the client goes first.
    asio::co_spawn(
        io_,
        [self = shared_from_this(), transport = transport_, generation = generation_] {
          return self->write_loop(transport, generation);
        },
        asio::detached);
  }
  boost::system::error_code ignored;
  co_await waiter->signal->async_wait(asio::redirect_error(use_awaitable, ignored));
  if (waiter->frame) co_return std::move(*waiter->frame);
  if (waiter->error) {
    Error error = *waiter->error;
    error.message += std::string(" (") + api_name + ")";
    co_return error;
  }
  // The deadline passed: this request alone fails; a late answer will be dropped.
  pending_.erase(correlation_id);
  co_return Error{Error::Kind::kTimeout, describe() + ": " + api_name + ": no answer before the deadline"};
}

awaitable<void> BrokerConnection::write_loop(std::shared_ptr<Transport> transport, uint64_t generation) {
  try {
    while (generation == generation_ && !write_queue_.empty()) {
      std::vector<uint8_t> frame = std::move(write_queue_.front());
      write_queue_.pop_front();
      co_await transport->write(asio::buffer(frame));
    }
  } catch (const boost::system::system_error& error) {
    if (generation == generation_) {
      fail_all(Error{Error::Kind::kConnection, describe() + ": write failed: " + error.code().message()});
      close();
    }
    co_return;
  }
  if (generation == generation_) writing_ = false;
}

awaitable<void> BrokerConnection::read_loop(std::shared_ptr<Transport> transport, uint64_t generation) {
  try {
    for (;;) {
      uint8_t size_bytes[4];
      co_await transport->read(asio::buffer(size_bytes));
      const uint32_t size = (uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                            (uint32_t{size_bytes[2]} << 8) | uint32_t{size_bytes[3]};
      if (generation != generation_) co_return;
      if (size < 4 || size > config_.max_frame_bytes) {
        // Refuse before allocating: a corrupt or hostile length ends the connection.
        fail_all(Error{Error::Kind::kProtocol, describe() + ": response frame of " + std::to_string(size) +
                                                   " bytes (limit " +
                                                   std::to_string(config_.max_frame_bytes) + ")"});
        close();
        co_return;
      }
      std::vector<uint8_t> frame(size);
      co_await transport->read(asio::buffer(frame));
      if (generation != generation_) co_return;
      const int32_t correlation_id = peek_correlation_id(frame);
      auto it = pending_.find(correlation_id);
      if (it == pending_.end()) continue;  // its requester timed out already
      it->second->frame = std::move(frame);
      it->second->signal->cancel();
      pending_.erase(it);
    }
  } catch (const std::exception& error) {
    if (generation == generation_) {
      std::string what = error.what();
      // With TLS 1.3 a broker checks the client's certificate after the handshake has ended
      // for the client, and says no with an alert on the first read.
      if (what.find("alert") != std::string::npos && what.find("certificate") != std::string::npos) {
        what = "the broker refused the TLS connection (" + what +
               "): it requires a client certificate signed by a CA it trusts (kafka.tls.cert_file, "
               "kafka.tls.key_file)";
      }
      fail_all(Error{Error::Kind::kConnection, describe() + ": connection lost: " + what});
      close();
    }
  }
}

awaitable<std::optional<Error>> BrokerConnection::ensure_ready(Deadline deadline) {
  while (state_ == State::kConnecting) {
    // Another request is connecting: wait for its outcome, within our own deadline.
    asio::steady_timer waiter(io_, deadline);
    connect_waiters_.insert(&waiter);
    boost::system::error_code ignored;
    co_await waiter.async_wait(asio::redirect_error(use_awaitable, ignored));
    connect_waiters_.erase(&waiter);
    if (std::chrono::steady_clock::now() >= deadline && state_ != State::kReady) {
      co_return Error{Error::Kind::kTimeout, describe() + ": not connected before the deadline"};
    }
  }
  // KIP-368: the broker ends a login at its session's end (an OAUTHBEARER token's expiry); the
  // connection opens again, with a fresh token, between requests before then.
  if (state_ == State::kReady && session_renew_at_ &&
      std::chrono::steady_clock::now() >= *session_renew_at_ && pending_.empty()) {
    close();
  }
  if (state_ == State::kReady) co_return std::nullopt;
  if (last_failure_ && std::chrono::steady_clock::now() < retry_after_) {
    Error error = *last_failure_;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(retry_after_ -
                                                                            std::chrono::steady_clock::now());
    error.message += " (next attempt in " + std::to_string(wait.count()) + " ms)";
    co_return error;
  }
  state_ = State::kConnecting;
  const Deadline connect_deadline =
      std::min(deadline, std::chrono::steady_clock::now() + config_.connect_timeout);
  auto failure = co_await connect(connect_deadline);
  if (failure) {
    close();
    last_failure_ = failure;
    // A refused login is not retried in a tight loop.
    const auto wait =
        failure->kind == Error::Kind::kAuthentication ? config_.authentication_retry : next_backoff();
    retry_after_ = std::chrono::steady_clock::now() + wait;
  } else {
    state_ = State::kReady;
    last_failure_.reset();
    backoff_ = std::chrono::milliseconds(0);
  }
  wake_connect_waiters();
  co_return failure;
}

awaitable<std::optional<Error>> BrokerConnection::connect(Deadline deadline) {
  const uint64_t generation = ++generation_;
  session_renew_at_.reset();
  auto transport = std::make_shared<Transport>(io_, tls_);
  transport_ = transport;
  // Closing the socket at the deadline aborts whichever step is still waiting.
  auto watchdog = std::make_shared<asio::steady_timer>(io_, deadline);
  auto timed_out = std::make_shared<bool>(false);
  watchdog->async_wait(
      [self = shared_from_this(), transport, timed_out, generation, this](boost::system::error_code ec) {
        if (!ec && generation == generation_ && state_ == State::kConnecting) {
          *timed_out = true;
          transport->shutdown();
          fail_all(Error{Error::Kind::kTimeout, describe() + ": connect timed out"});
        }
      });
  struct Cancel {
    std::shared_ptr<asio::steady_timer> timer;
    ~Cancel() { timer->cancel(); }
  } cancel_watchdog{watchdog};
  try {
    tcp::resolver resolver(io_);
    auto endpoints = co_await resolver.async_resolve(host_, std::to_string(port_), use_awaitable);
    co_await asio::async_connect(transport->socket(), endpoints, use_awaitable);
    transport->socket().set_option(tcp::no_delay(true));
    if (transport->secure) {
      SSL_set_tlsext_host_name(transport->secure->native_handle(), host_.c_str());
      if (config_.tls.verify_hostname) {
        transport->secure->set_verify_callback(asio::ssl::host_name_verification(host_));
      }
      co_await transport->secure->async_handshake(asio::ssl::stream_base::client, use_awaitable);
    }
  } catch (const boost::system::system_error& error) {
    if (*timed_out) co_return Error{Error::Kind::kTimeout, describe() + ": connect timed out"};
    std::string what = error.code().message();
    if (error.code().category() == asio::error::get_ssl_category()) {
      what = "TLS handshake failed: " + what;
    }
    co_return Error{Error::Kind::kConnection, describe() + ": " + what};
  }
  asio::co_spawn(
      io_,
      [self = shared_from_this(), transport, generation] { return self->read_loop(transport, generation); },
      asio::detached);
  auto failure = co_await handshake(deadline);
  if (*timed_out && !failure) failure = Error{Error::Kind::kTimeout, describe() + ": connect timed out"};
  co_return failure;
}

awaitable<std::optional<Error>> BrokerConnection::handshake(Deadline deadline) {
  ApiVersionsRequest request;
  request.client_software_name = kClientSoftwareName;
  request.client_software_version = kClientSoftwareVersion;
  auto answer = co_await exchange_decoded(request, ApiVersionsRequest::kMaxVersion, deadline);
  if (answer.ok() && answer.value().error_code == 35) {
    // KIP-511: retry with the highest ApiVersions version the broker announced.
    int16_t broker_max = 0;
    for (const auto& key : answer.value().api_keys) {
      if (key.api_key == ApiVersionsRequest::kApiKey) broker_max = key.max_version;
    }
    answer = co_await exchange_decoded(
        request, std::min<int16_t>(broker_max, ApiVersionsRequest::kMaxVersion), deadline);
  }
  if (!answer.ok()) co_return answer.error();
  if (answer.value().error_code != 0) {
    co_return Error{Error::Kind::kKafka,
                    describe() + ": ApiVersions: " + error_name(answer.value().error_code)};
  }
  versions_.clear();
  for (const auto& key : answer.value().api_keys) {
    versions_[key.api_key] = {key.min_version, key.max_version};
  }
  if (config_.sasl.mechanism != "none") co_return co_await authenticate(deadline);
  co_return std::nullopt;
}

awaitable<std::optional<Error>> BrokerConnection::authenticate(Deadline deadline) {
  const auto& sasl = config_.sasl;
  const std::string& user = sasl.mechanism == "GSSAPI" ? sasl.kerberos_principal : sasl.username;
  auto auth_error = [&](const std::string& what) {
    return Error{Error::Kind::kAuthentication, describe() + ": SASL " + sasl.mechanism +
                                                   " authentication of user '" + user + "' failed: " + what};
  };
  SaslHandshakeRequest hello;
  hello.mechanism = sasl.mechanism;
  auto handshake = co_await exchange_decoded(hello, 1, deadline);
  if (!handshake.ok()) co_return handshake.error();
  if (handshake.value().error_code != 0) {
    std::string enabled;
    for (const auto& m : handshake.value().mechanisms) enabled += (enabled.empty() ? "" : ", ") + m;
    co_return auth_error(error_name(handshake.value().error_code) + " (broker enables: " + enabled + ")");
  }
  const int16_t version = negotiated<SaslAuthenticateRequest>();
  if (version < 0) co_return auth_error("the broker does not support SaslAuthenticate");
  auto round = [&](std::string token) -> awaitable<Result<SaslAuthenticateResponse>> {
    SaslAuthenticateRequest request;
    request.auth_bytes.assign(token.begin(), token.end());
    co_return co_await exchange_decoded(request, version, deadline);
  };
  auto failed = [&](const Result<SaslAuthenticateResponse>& reply) -> std::optional<Error> {
    if (!reply.ok()) return reply.error();
    if (reply.value().error_code != 0) {
      return auth_error(reply.value().error_message.value_or(error_name(reply.value().error_code)));
    }
    return std::nullopt;
  };
  if (sasl.mechanism == "PLAIN") {
    auto reply = co_await round(plain_token(sasl.username, sasl.password));
    co_return failed(reply);
  }
  if (sasl.mechanism == "OAUTHBEARER") co_return co_await authenticate_oauthbearer(version, deadline);
  if (sasl.mechanism == "GSSAPI") {
    auto gss = std::make_shared<GssapiClient>(sasl.kerberos_service_name, host_, sasl.kerberos_principal,
                                              sasl.kerberos_keytab);
    std::string server_token;
    try {
      // Context tokens until the context is complete, then the answer to the broker's
      // security-layer offer (RFC 4752); a broker needs two or three exchanges.
      for (int exchanges = 0;; ++exchanges) {
        if (exchanges == 8) co_return auth_error("no security context after 8 exchanges");
        const bool answer_offer = gss->established();
        // Named, not a temporary of the co_await: GCC 12 destroys such a lambda twice.
        std::function<std::string()> work = [gss, server_token, answer_offer] {
          return answer_offer ? gss->security_layer(server_token) : gss->step(server_token);
        };
        auto token = co_await off_loop(io_, deadline, std::move(work));
        if (!token) {
          co_return Error{Error::Kind::kTimeout, describe() + ": SASL GSSAPI authentication of user '" +
                                                     user + "': no answer from the KDC before the deadline"};
        }
        auto reply = co_await round(*token);
        if (auto error = failed(reply)) co_return error;
        if (answer_offer) co_return std::nullopt;
        server_token.assign(reply.value().auth_bytes.begin(), reply.value().auth_bytes.end());
      }
    } catch (const std::exception& error) {
      co_return auth_error(error.what());
    }
  }
  try {
    ScramClient scram(sasl.mechanism, sasl.username, sasl.password);
    auto first = co_await round(scram.client_first());
    if (auto error = failed(first)) co_return error;
    const auto& server_first = first.value().auth_bytes;
    auto second = co_await round(scram.client_final(std::string(server_first.begin(), server_first.end())));
    if (auto error = failed(second)) co_return error;
    const auto& server_final = second.value().auth_bytes;
    scram.verify_server_final(std::string(server_final.begin(), server_final.end()));
  } catch (const std::exception& error) {
    co_return auth_error(error.what());
  }
  co_return std::nullopt;
}

awaitable<std::optional<Error>> BrokerConnection::authenticate_oauthbearer(int16_t version,
                                                                           Deadline deadline) {
  const auto provider = config_.sasl.token_provider;
  if (!provider) {
    co_return Error{Error::Kind::kAuthentication, describe() + ": SASL OAUTHBEARER: no token provider"};
  }
  const std::string who = describe() + ": SASL OAUTHBEARER authentication of client '" +
                          provider->credentials().client_id + "' failed: ";
  auto token = provider->cached_token();
  if (!token) {
    // A fetch blocks for up to its timeout: off the event loop, as GSSAPI's KDC exchange. The
    // outcome comes back as off_loop's text: "" when the provider holds a new token, else why not.
    auto failure = co_await off_loop(io_, deadline, [provider] {
      try {
        provider->token();
        return std::string();
      } catch (const oauth::TokenError& error) {
        // An endpoint that cannot be reached is retried like a broker; a refusal like a wrong password.
        return std::string(error.refused() ? "A" : "C") + error.what();
      }
    });
    if (!failure) {
      co_return Error{
          Error::Kind::kTimeout,
          who + "no token from " + provider->credentials().token_endpoint_url + " before the deadline"};
    }
    if (!failure->empty()) {
      Error error{Error::Kind::kConnection, who + failure->substr(1)};
      if (failure->front() == 'A') error.kind = Error::Kind::kAuthentication;
      co_return error;
    }
    token = provider->latest_token();
    if (!token) co_return Error{Error::Kind::kAuthentication, who + "the token expired as it arrived"};
  }
  auto round = [&](const std::string& bytes) -> awaitable<Result<SaslAuthenticateResponse>> {
    SaslAuthenticateRequest request;
    request.auth_bytes.assign(bytes.begin(), bytes.end());
    co_return co_await exchange_decoded(request, version, deadline);
  };
  auto reply = co_await round(oauthbearer_initial_response(token->value));
  if (!reply.ok()) co_return reply.error();
  std::string refusal;
  if (reply.value().error_code != 0) {
    refusal = reply.value().error_message.value_or(error_name(reply.value().error_code));
  } else if (!reply.value().auth_bytes.empty()) {
    // RFC 7628 3.2.2: an error challenge such as {"status":"invalid_token"}; once acknowledged,
    // the broker ends the exchange with its error.
    refusal.assign(reply.value().auth_bytes.begin(), reply.value().auth_bytes.end());
    auto ended = co_await round(kOAuthBearerErrorAcknowledgement);
    if (ended.ok() && ended.value().error_code != 0 && ended.value().error_message) {
      refusal = *ended.value().error_message;
    }
  } else {
    if (const int64_t lifetime = reply.value().session_lifetime_ms; lifetime > 0) {
      session_renew_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(lifetime * 85 / 100);
    }
    co_return std::nullopt;
  }
  provider->forget(*token);
  co_return Error{
      Error::Kind::kAuthentication,
      who + "the broker refused the token: " + refusal + "; the token has " + token->claims +
          ", which the listener's sasl.oauthbearer.expected.issuer and expected.audience must accept"};
}

}  // namespace kse::kafka
