#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/bcrypt_users.h"
#include "render/exposition.h"
#include "support/test_support.h"

namespace kse::http {
namespace {

// Made with Python's crypt.crypt("secret", crypt.mksalt(crypt.METHOD_BLOWFISH)) (cost 12);
// "$2y$" is the spelling htpasswd -B and PHP use for the same algorithm.
constexpr const char* kSecretHash = "$2b$12$BROKHZj5A6KZRmxVNA3P2.B6xZm/wbbwwMWD6OpBhKBi2/bpbKQki";

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::shared_ptr<const render::RenderedPage> page() {
  metrics::Family counter{
      "kafka_sidecar_requests_total", "Requests sent.", metrics::MetricType::kCounter, {"api"}, {}};
  metrics::Sample sample;
  sample.label_values = {"Metadata"};
  sample.value = 3;
  counter.samples.push_back(sample);
  metrics::Family gauge{"kafka_brokers", "Brokers.", metrics::MetricType::kGauge, {}, {}};
  sample.label_values = {};
  sample.value = 3;
  gauge.samples.push_back(sample);
  auto rendered = std::make_shared<render::RenderedPage>();
  rendered->text = render::render_text({counter, gauge});
  rendered->gzip = render::gzip_compress(rendered->text);
  return rendered;
}

struct Reply {
  int status = 0;
  std::string headers;
  std::string body;
};

// curl against the test server; `options` go before the URL.
Reply get(const std::string& url, const std::string& options = "") {
  const std::string headers = testing::TempDir() + "/http_server_test_headers";
  const auto result = test::run_command("curl -s -m 10 -D " + headers + " -o - -w '\\n%{http_code}' " +
                                        options + " '" + url + "'");
  Reply reply;
  const size_t last = result.output.rfind('\n');
  if (last != std::string::npos) {
    reply.status = std::atoi(result.output.c_str() + last + 1);
    reply.body = result.output.substr(0, last);
  }
  reply.headers = test::run_command("cat " + headers).output;
  return reply;
}

class HttpServerTest : public testing::Test {
 protected:
  void start(ServerOptions options) {
    port_ = free_port();
    options.listen_address = "127.0.0.1";
    options.threads_per_port = 2;
    server_ = std::make_unique<HttpServer>(std::move(options));
    server_->ensure_port(port_, "cluster");
    server_->publish(port_, page());
  }
  std::string url(const std::string& scheme = "http", const std::string& path = "/metrics") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port_ = 0;
  std::unique_ptr<HttpServer> server_;
};

TEST(BcryptTest, KnownHashMatchesItsPasswordOnly) {
  EXPECT_TRUE(bcrypt_matches("secret", kSecretHash));
  EXPECT_FALSE(bcrypt_matches("Secret", kSecretHash));
  EXPECT_FALSE(bcrypt_matches("", kSecretHash));
  EXPECT_FALSE(bcrypt_matches(std::string_view("secret\0x", 8), kSecretHash));
  std::string y = kSecretHash;
  y[2] = 'y';
  EXPECT_TRUE(bcrypt_matches("secret", y));
  EXPECT_FALSE(bcrypt_matches("secret", "not a hash"));
}

TEST(BcryptTest, SecondVerificationIsRememberedAndWrongOnesAreNot) {
  BcryptUsers users(std::map<std::string, std::string>{{"prometheus", kSecretHash}});
  const auto timed = [&](const std::string& user, const std::string& password, bool* ok) {
    const auto start = std::chrono::steady_clock::now();
    *ok = users.verify(user, password);
    return std::chrono::steady_clock::now() - start;
  };
  bool ok = false;
  const auto first = timed("prometheus", "secret", &ok);
  EXPECT_TRUE(ok);
  const auto second = timed("prometheus", "secret", &ok);
  EXPECT_TRUE(ok);
  EXPECT_LT(second * 10, first);  // cost 12 is about 200 ms; a remembered pair is microseconds
  EXPECT_FALSE(users.verify("prometheus", "wrong"));
  EXPECT_FALSE(users.verify("nobody", "secret"));
}

TEST_F(HttpServerTest, BcryptBasicAuth) {
  ServerOptions options;
  options.bcrypt_users = {{"prometheus", kSecretHash}};
  start(options);
  const Reply missing = get(url());
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.headers.find("WWW-Authenticate: Basic realm=\"kafka-sidecar-exporter\""),
            std::string::npos);
  const Reply wrong = get(url(), "-u prometheus:wrong");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.headers.find("WWW-Authenticate: Basic"), std::string::npos);
  EXPECT_EQ(get(url(), "-u other:secret").status, 401);
  const Reply right = get(url(), "-u prometheus:secret");
  EXPECT_EQ(right.status, 200);
  EXPECT_NE(right.body.find("kafka_brokers 3"), std::string::npos);
  EXPECT_EQ(get(url(), "-u prometheus:secret").status, 200);
}

TEST_F(HttpServerTest, PlaintextBasicAuthStillWorks) {
  ServerOptions options;
  options.basic_auth_username = "a";
  options.basic_auth_password = "b";
  start(options);
  EXPECT_EQ(get(url()).status, 401);
  EXPECT_EQ(get(url(), "-u a:c").status, 401);
  EXPECT_EQ(get(url(), "-u a:b").status, 200);
}

TEST_F(HttpServerTest, ContentTypeFollowsAccept) {
  start({});
  const Reply text = get(url());
  EXPECT_EQ(text.status, 200);
  EXPECT_NE(text.headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos);
  EXPECT_EQ(text.body, page()->text);
  // Prometheus 2.42's default Accept header.
  const std::string prometheus =
      "-H 'Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'";
  const Reply openmetrics = get(url(), prometheus);
  EXPECT_NE(
      openmetrics.headers.find("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
      std::string::npos);
  EXPECT_NE(openmetrics.body.find("# TYPE kafka_sidecar_requests counter\n"
                                  "kafka_sidecar_requests_total{api=\"Metadata\"} 3\n"),
            std::string::npos);
  EXPECT_NE(openmetrics.body.find("# EOF"), std::string::npos);
  const Reply gzipped = get(url(), prometheus + " --compressed");
  EXPECT_NE(gzipped.headers.find("Content-Encoding: gzip"), std::string::npos);
  EXPECT_EQ(gzipped.body, openmetrics.body);
  // Text ranked first, or OpenMetrics refused: the 0.0.4 text.
  EXPECT_NE(get(url(), "-H 'Accept: text/plain;version=0.0.4,application/openmetrics-text;q=0.5'")
                .headers.find("text/plain; version=0.0.4"),
            std::string::npos);
  EXPECT_NE(get(url(), "-H 'Accept: application/openmetrics-text;q=0,*/*'").headers.find("text/plain"),
            std::string::npos);
}

TEST_F(HttpServerTest, StatusPageOnRootWithTheRequestHostInItsLinks) {
  start({});
  EXPECT_NE(get(url("http", "/")).body.find("Port " + std::to_string(port_) + ": cluster"),
            std::string::npos);
  server_->publish_status_page(
      port_, std::make_shared<const std::string>("<a href=\"//" + std::string(kRequestHostToken) +
                                                 ":7071/metrics\">broker 1</a>"));
  const Reply status = get(url("http", "/"), "-H 'Host: exporter.example:9308'");
  EXPECT_EQ(status.status, 200);
  EXPECT_NE(status.headers.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_EQ(status.body, "<a href=\"//exporter.example:7071/metrics\">broker 1</a>");
  // A Host header that is not a plain name never reaches the page.
  EXPECT_EQ(get(url("http", "/"), "-H 'Host: \"><script>x'").body,
            "<a href=\"//127.0.0.1:7071/metrics\">broker 1</a>");
  EXPECT_EQ(get(url("http", "/"), "-H 'Host: [::1]:9308'").body,
            "<a href=\"//[::1]:7071/metrics\">broker 1</a>");
}

TEST_F(HttpServerTest, NameFilterServesOnlyTheNamedFamilies) {
  start({});
  const Reply one = get(url("http", "/metrics?name[]=kafka_brokers"), "-g");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(one.body, "# HELP kafka_brokers Brokers.\n# TYPE kafka_brokers gauge\nkafka_brokers 3\n");
  const Reply encoded =
      get(url("http", "/metrics?name%5B%5D=kafka_sidecar_requests_total&name%5B%5D=absent"), "--compressed");
  EXPECT_NE(encoded.body.find("kafka_sidecar_requests_total{api=\"Metadata\"} 3"), std::string::npos);
  EXPECT_EQ(encoded.body.find("kafka_brokers"), std::string::npos);
  EXPECT_EQ(get(url("http", "/metrics?name[]=absent"), "-g").body, "");
}

class HttpsServerTest : public HttpServerTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = testing::TempDir() + "/http_server_test_tls";
    const std::string script =
        "set -e; rm -rf " + dir_ + "; mkdir -p " + dir_ + "; cd " + dir_ +
        "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.pem -subj /CN=test-ca"
        "; openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1"
        "; printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
        "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext"
        " -out server.pem"
        "; openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=prometheus"
        "; openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem"
        "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout stranger.key -out stranger.pem"
        " -subj /CN=stranger"
        // The rotated certificate: another CA, so a client can tell which one it was shown.
        "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca2.key -out ca2.pem -subj /CN=test-ca-2"
        "; openssl req -newkey rsa:2048 -nodes -keyout server2.key -out server2.csr -subj /CN=127.0.0.1"
        "; openssl x509 -req -in server2.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial -days 2 -extfile "
        "san.ext"
        " -out server2.pem";
    const auto result = test::run_command(script);
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }
  ServerOptions tls(const std::string& client_auth_type = "NoClientCert") const {
    ServerOptions options;
    options.tls_cert_file = dir_ + "/server.pem";
    options.tls_key_file = dir_ + "/server.key";
    options.tls_client_auth_type = client_auth_type;
    if (client_auth_type != "NoClientCert") options.tls_client_ca_file = dir_ + "/ca.pem";
    return options;
  }
  std::string ca() const { return "--cacert " + dir_ + "/ca.pem "; }
  std::string client(const std::string& name = "client") const {
    return "--cert " + dir_ + "/" + name + ".pem --key " + dir_ + "/" + name + ".key ";
  }
  static std::string dir_;
};
std::string HttpsServerTest::dir_;

TEST_F(HttpsServerTest, AKeyThatDoesNotMatchIsRefusedAtStart) {
  ServerOptions options = tls();
  options.tls_key_file = dir_ + "/client.key";
  try {
    HttpServer server(options);
    FAIL() << "a key of another certificate accepted";
  } catch (const ServerError& error) {
    EXPECT_NE(std::string(error.what()).find("does not match"), std::string::npos) << error.what();
  }
}

TEST_F(HttpsServerTest, ServesHttpsWithSeparateKeyFile) {
  start(tls());
  EXPECT_EQ(get(url("https"), ca()).status, 200);
  EXPECT_EQ(get(url("http")).status, 0) << "plain HTTP on a TLS port";
}

// Many scrapes at once, each a whole page through the TLS front, and the port given back.
TEST_F(HttpsServerTest, ConcurrentScrapesAndPortRemoval) {
  start(tls());
  std::vector<std::thread> scrapers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    scrapers.emplace_back([&] {
      if (get(url("https", "/metrics"), ca()).status == 200) ++ok;
    });
  }
  for (auto& scraper : scrapers) scraper.join();
  EXPECT_EQ(ok.load(), 8);
  server_->remove_port(port_);
  EXPECT_EQ(get(url("https", "/healthz"), ca()).status, 0) << "a removed port still answers";
  server_->ensure_port(port_, "cluster");
  EXPECT_EQ(get(url("https", "/healthz"), ca()).status, 200) << "the port cannot be served again";
}

// The certificate and key files replaced under a running server: nothing happens until they are
// looked at; then a key that does not match is refused and the old pair serves on; then the new
// pair serves new connections.
TEST_F(HttpsServerTest, RotatedCertificateServesNewConnections) {
  const std::string cert = dir_ + "/live.pem";
  const std::string key = dir_ + "/live.key";
  const auto copy = [](const std::string& from, const std::string& to) {
    ASSERT_EQ(test::run_command("cp " + from + " " + to + ".new && mv " + to + ".new " + to).exit_code, 0);
  };
  copy(dir_ + "/server.pem", cert);
  copy(dir_ + "/server.key", key);
  ServerOptions options = tls();
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  start(options);
  const std::string ca2 = "--cacert " + dir_ + "/ca2.pem ";
  EXPECT_EQ(server_->reload_tls_if_changed(), std::nullopt) << "nothing changed";
  copy(dir_ + "/server2.pem", cert);
  const auto mismatch = server_->reload_tls_if_changed();
  ASSERT_TRUE(mismatch.has_value());
  EXPECT_NE(mismatch->find("does not match"), std::string::npos) << *mismatch;
  EXPECT_EQ(get(url("https"), ca()).status, 200) << "the previous pair stopped serving";
  copy(dir_ + "/server2.key", key);
  EXPECT_EQ(server_->reload_tls_if_changed(), std::optional<std::string>(""));
  EXPECT_EQ(get(url("https"), ca2).status, 200) << "the new certificate is not served";
  EXPECT_EQ(get(url("https"), ca()).status, 0) << "the old certificate is still served";
}

TEST_F(HttpsServerTest, TlsVersionsAreEnforced) {
  ServerOptions options = tls();
  options.tls_min_version = "TLS13";
  start(options);
  EXPECT_EQ(get(url("https"), ca() + "--tls-max 1.2").status, 0);
  EXPECT_EQ(get(url("https"), ca() + "--tlsv1.3").status, 200);
}

TEST_F(HttpsServerTest, RequireAndVerifyClientCertRefusesOthers) {
  start(tls("RequireAndVerifyClientCert"));
  EXPECT_EQ(get(url("https"), ca()).status, 0) << "no client certificate";
  EXPECT_EQ(get(url("https"), ca() + client("stranger")).status, 0) << "certificate of another CA";
  EXPECT_EQ(get(url("https"), ca() + client()).status, 200);
}

TEST_F(HttpsServerTest, VerifyClientCertIfGivenAcceptsNoneButNotAStranger) {
  start(tls("VerifyClientCertIfGiven"));
  EXPECT_EQ(get(url("https"), ca()).status, 200);
  EXPECT_EQ(get(url("https"), ca() + client("stranger")).status, 0);
  EXPECT_EQ(get(url("https"), ca() + client()).status, 200);
}

TEST_F(HttpsServerTest, MutualTlsAndBcryptTogether) {
  ServerOptions options = tls("RequireAndVerifyClientCert");
  options.bcrypt_users = {{"prometheus", kSecretHash}};
  start(options);
  EXPECT_EQ(get(url("https"), ca() + client()).status, 401);
  EXPECT_EQ(get(url("https"), ca() + client() + "-u prometheus:secret").status, 200);
}

}  // namespace
}  // namespace kse::http
