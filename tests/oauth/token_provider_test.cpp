#include "oauth/token_provider.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/base64.h"

namespace kse::oauth {
namespace {

using std::chrono::seconds;

// A token endpoint on a loopback port: answers each POST with what `answer` returns for it.
class TinyTokenEndpoint {
 public:
  using Answer = std::function<std::pair<int, std::string>(const std::string& request)>;

  explicit TinyTokenEndpoint(Answer answer) : answer_(std::move(answer)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on a loopback port");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyTokenEndpoint() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (!stopping_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      std::string request;
      char buffer[4096];
      // Headers, then as many body bytes as Content-Length says.
      for (;;) {
        const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<size_t>(got));
        const size_t end = request.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        const size_t field = request.find("Content-Length: ");
        const size_t body = field == std::string::npos ? 0 : std::stoul(request.substr(field + 16));
        if (request.size() >= end + 4 + body) break;
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      const auto [status, body] = answer_(request);
      const std::string response =
          "HTTP/1.1 " + std::to_string(status) +
          " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  Answer answer_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

std::string base64url(const std::string& text) {
  std::string out = common::base64_encode(text);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

// An (unsigned) JWT with these claims: the client reads claims, the broker checks signatures.
std::string jwt(const std::string& claims) {
  return base64url(R"({"alg":"RS256","kid":"k"})") + "." + base64url(claims) + ".c2lnbmF0dXJl";
}

std::string token_answer(const std::string& token, int expires_in) {
  return R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":)" +
         std::to_string(expires_in) + "}";
}

// A wall clock the test moves by hand, starting on a whole second.
struct FakeClock {
  std::atomic<int64_t> now{1'900'000'000};
  WallClock::time_point operator()() const { return WallClock::time_point(seconds(now.load())); }
};

ClientCredentials credentials(const std::string& url) {
  return {url, "kse-exporter", "s:cret", "kafka read", "", std::chrono::milliseconds(2000)};
}

TEST(TokenProviderTest, FetchesWithClientCredentialsAndRenewsAtEightyPercent) {
  FakeClock clock;
  TinyTokenEndpoint endpoint([&clock](const std::string&) {
    const int64_t now = clock.now.load();
    return std::pair{200,
                     token_answer(jwt(R"({"sub":"kse-exporter","aud":"kafka","iss":"http://idp","exp":)" +
                                      std::to_string(now + 100) + "}"),
                                  100)};
  });
  TokenProvider provider(credentials(endpoint.url()), std::ref(clock));
  const AccessToken first = provider.token();
  EXPECT_EQ(first.principal, "kse-exporter");
  EXPECT_EQ(first.expires_at - first.received_at, seconds(100));
  EXPECT_NE(first.claims.find("audience 'kafka'"), std::string::npos) << first.claims;
  ASSERT_EQ(endpoint.requests().size(), 1u);
  const std::string request = endpoint.requests()[0];
  EXPECT_EQ(request.rfind("POST /token HTTP/1.1\r\n", 0), 0u) << request;
  // RFC 6749 2.3.1: id and secret form-encoded, then basic auth.
  EXPECT_NE(request.find("Authorization: Basic " + common::base64_encode("kse-exporter:s%3Acret")),
            std::string::npos)
      << request;
  EXPECT_NE(request.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos) << request;
  EXPECT_TRUE(request.ends_with("\r\n\r\ngrant_type=client_credentials&scope=kafka%20read")) << request;

  clock.now += 79;
  EXPECT_EQ(provider.token().value, first.value);
  EXPECT_EQ(endpoint.requests().size(), 1u);
  clock.now += 2;
  EXPECT_FALSE(provider.cached_token().has_value());
  const AccessToken second = provider.token();
  EXPECT_NE(second.value, first.value);
  EXPECT_EQ(endpoint.requests().size(), 2u);
  EXPECT_EQ(provider.fetches(), 2u);
}

TEST(TokenProviderTest, ARefusalNamesTheEndpointStatusAndOAuthErrorButNotTheSecret) {
  TinyTokenEndpoint endpoint([](const std::string&) {
    return std::pair{
        401, std::string(R"({"error":"invalid_client","error_description":"client authentication failed"})")};
  });
  FakeClock clock;
  TokenProvider provider(credentials(endpoint.url()), std::ref(clock));
  try {
    provider.token();
    FAIL() << "no error";
  } catch (const TokenError& error) {
    EXPECT_TRUE(error.refused());
    EXPECT_EQ(std::string(error.what()),
              "token endpoint " + endpoint.url() + ": 401 invalid_client: client authentication failed");
    EXPECT_EQ(std::string(error.what()).find("s:cret"), std::string::npos);
  }
  // The same answer for a few seconds without asking again, then a new request.
  EXPECT_THROW(provider.token(), TokenError);
  EXPECT_EQ(endpoint.requests().size(), 1u);
  clock.now += 6;
  EXPECT_THROW(provider.token(), TokenError);
  EXPECT_EQ(endpoint.requests().size(), 2u);
}

TEST(TokenProviderTest, AnExpiredTokenIsRefusedWithItsAge) {
  FakeClock clock;
  TinyTokenEndpoint endpoint([&clock](const std::string&) {
    return std::pair{
        200, token_answer(jwt(R"({"sub":"kse-expired","exp":)" + std::to_string(clock.now - 3600) + "}"), 0)};
  });
  TokenProvider provider(credentials(endpoint.url()), std::ref(clock));
  try {
    provider.token();
    FAIL() << "no error";
  } catch (const TokenError& error) {
    EXPECT_TRUE(error.refused());
    EXPECT_NE(std::string(error.what()).find("had expired 3600 s before it arrived"), std::string::npos)
        << error.what();
  }
}

TEST(TokenProviderTest, AnUnreachableEndpointIsNoRefusal) {
  int port = 0;
  {
    TinyTokenEndpoint closed([](const std::string&) { return std::pair{500, std::string()}; });
    port = std::stoi(closed.url().substr(std::string("http://127.0.0.1:").size()));
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/token";
  TokenProvider provider(credentials(url));
  try {
    provider.token();
    FAIL() << "no error";
  } catch (const TokenError& error) {
    EXPECT_FALSE(error.refused());
    EXPECT_EQ(std::string(error.what()).rfind("token endpoint " + url + ": connecting to 127.0.0.1:", 0), 0u)
        << error.what();
  }
}

TEST(TokenProviderTest, ARenewalThatFailsKeepsTheTokenThatStillServes) {
  FakeClock clock;
  std::atomic<bool> refuse{false};
  TinyTokenEndpoint endpoint([&](const std::string&) {
    if (refuse) return std::pair{503, std::string("<html>busy</html>")};
    return std::pair{200,
                     token_answer(jwt(R"({"sub":"a","exp":)" + std::to_string(clock.now + 100) + "}"), 100)};
  });
  TokenProvider provider(credentials(endpoint.url()), std::ref(clock));
  const AccessToken first = provider.token();
  refuse = true;
  clock.now += 90;
  EXPECT_EQ(provider.token().value, first.value);
  clock.now += 11;
  try {
    provider.token();
    FAIL() << "no error";
  } catch (const TokenError& error) {
    EXPECT_EQ(std::string(error.what()),
              "token endpoint " + endpoint.url() + ": HTTP 503: <html>busy</html>");
  }
}

TEST(TokenProviderTest, AnOpaqueTokenLastsItsExpiresIn) {
  const auto now = WallClock::time_point(seconds(1'900'000'000));
  const AccessToken token =
      parse_token_response(credentials("http://idp/token"), 200, token_answer("opaque", 300), now);
  EXPECT_EQ(token.expires_at, now + seconds(300));
  EXPECT_EQ(token.principal, "kse-exporter");
  EXPECT_THROW(
      parse_token_response(credentials("http://idp/token"), 200, R"({"access_token":"opaque"})", now),
      TokenError);
  EXPECT_THROW(parse_token_response(credentials("http://idp/token"), 200, "not json", now), TokenError);
}

}  // namespace
}  // namespace kse::oauth
