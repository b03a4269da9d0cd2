#include "http/server.h"

#include <civetweb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "common/credential_watch.h"
#include "render/openmetrics.h"
#include "tls_front.h"

namespace kse::http {

namespace {

std::once_flag library_once;

void send(mg_connection* connection, int status, const char* status_text, const std::string& content_type,
          std::string_view body, const char* extra_headers = "") {
  mg_printf(connection, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
            status_text, content_type.c_str(), body.size(), extra_headers);
  mg_write(connection, body.data(), body.size());
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Calls use(value, parameters) for each comma-separated item of an Accept-style header,
// the value trimmed, the parameters those after its first ';' (empty when none).
template <typename Use>
void for_each_item(const char* header, Use use) {
  if (header == nullptr) return;
  std::string_view rest(header);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semicolon = item.find(';');
    use(trim(item.substr(0, semicolon)),
        semicolon == std::string_view::npos ? std::string_view() : item.substr(semicolon + 1));
  }
}

// The quality ("q=") of one item, 1 when absent.
double quality(std::string_view params) {
  const size_t q = params.find("q=");
  if (q == std::string_view::npos) return 1;
  return std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr);
}

// Accept-Encoding names gzip (or *) with a non-zero quality ("gzip;q=0" refuses it).
bool accepts_gzip(const char* header) {
  std::optional<bool> accepted;  // the first gzip or * item decides
  for_each_item(header, [&](std::string_view coding, std::string_view params) {
    if (!accepted && (coding == "gzip" || coding == "*")) accepted = quality(params) > 0;
  });
  return accepted.value_or(false);
}

// OpenMetrics when the Accept header ranks application/openmetrics-text (version 1.0.0
// or none named) above every text/plain or wildcard it accepts, as Prometheus's does.
bool prefers_openmetrics(const char* header) {
  double openmetrics = 0;
  double text = 0;
  for_each_item(header, [&](std::string_view type, std::string_view params) {
    if (type == "application/openmetrics-text") {
      const size_t version = params.find("version=");
      if (version == std::string_view::npos || params.substr(version + 8).starts_with("1.0.0")) {
        openmetrics = std::max(openmetrics, quality(params));
      }
    } else if (type == "text/plain" || type == "text/*" || type == "*/*") {
      text = std::max(text, quality(params));
    }
  });
  return openmetrics > 0 && openmetrics > text;
}

// The values of `name[]` in a query string; an empty set when it names none.
std::set<std::string, std::less<>> requested_families(const char* query) {
  std::set<std::string, std::less<>> names;
  if (query == nullptr) return names;
  std::string_view rest(query);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string raw_key(pair.substr(0, equals));
    const std::string raw_value(pair.substr(equals + 1));
    std::string key(raw_key.size() + 1, '\0');
    std::string value(raw_value.size() + 1, '\0');
    const int key_length = mg_url_decode(raw_key.c_str(), static_cast<int>(raw_key.size()), key.data(),
                                         static_cast<int>(key.size()), 1);
    const int value_length = mg_url_decode(raw_value.c_str(), static_cast<int>(raw_value.size()),
                                           value.data(), static_cast<int>(value.size()), 1);
    if (key_length < 0 || value_length < 0) continue;
    key.resize(static_cast<size_t>(key_length));
    value.resize(static_cast<size_t>(value_length));
    if (key == "name[]" && !value.empty()) names.insert(value);
  }
  return names;
}

int tls_version(const std::string& name) {
  if (name == "TLS10") return TLS1_VERSION;
  if (name == "TLS11") return TLS1_1_VERSION;
  if (name == "TLS13") return TLS1_3_VERSION;
  return TLS1_2_VERSION;
}

// Accepts whatever certificate the client shows: RequestClientCert and RequireAnyClientCert
// ask for one without checking who signed it.
int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

// What OpenSSL said last, for an error message.
std::string openssl_error() {
  char text[256] = "unknown error";
  if (const unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

// The server side of TLS as the web configuration says: certificate, key, versions and
// client certificates. Returns what is wrong, empty when the context is ready.
std::string configure_tls(SSL_CTX* context, const ServerOptions& options) {
  if (SSL_CTX_use_certificate_chain_file(context, options.tls_cert_file.c_str()) != 1) {
    return "cannot use certificate " + options.tls_cert_file + ": " + openssl_error();
  }
  if (SSL_CTX_use_PrivateKey_file(context, options.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return "key " + options.tls_key_file + " does not match certificate " + options.tls_cert_file;
    }
    return "cannot use key " + options.tls_key_file + ": " + openssl_error();
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    return "key " + options.tls_key_file + " does not match certificate " + options.tls_cert_file;
  }
  if (SSL_CTX_set_min_proto_version(context, tls_version(options.tls_min_version)) != 1 ||
      (!options.tls_max_version.empty() &&
       SSL_CTX_set_max_proto_version(context, tls_version(options.tls_max_version)) != 1)) {
    return "cannot set the TLS versions: " + openssl_error();
  }
  const std::string& type = options.tls_client_auth_type;
  if (!options.tls_client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(context, options.tls_client_ca_file.c_str(), nullptr) != 1) {
      return "cannot use client CA " + options.tls_client_ca_file + ": " + openssl_error();
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.tls_client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(context, names);
  }
  if (type == "RequestClientCert") {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, &accept_any_certificate);
  } else if (type == "RequireAnyClientCert") {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &accept_any_certificate);
  } else if (type == "VerifyClientCertIfGiven") {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  } else if (type == "RequireAndVerifyClientCert") {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
  }
  return "";
}

// Compares every byte whatever the first difference, so timing does not reveal the password.
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

// The host of a Host header without its port, when it is a plain name or address; else the
// loopback address (the header is the client's to choose, and goes into a page's links).
std::string request_host(const char* header) {
  std::string_view host = header == nullptr ? std::string_view() : trim(header);
  if (host.starts_with('[')) {
    host = host.substr(0, host.find(']') == std::string_view::npos ? 0 : host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  const bool plain = !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '[' ||
           c == ']' || c == ':';
  });
  return plain ? std::string(host) : std::string("127.0.0.1");
}

std::string with_request_host(const std::string& html, const std::string& host) {
  std::string out;
  out.reserve(html.size());
  size_t from = 0;
  for (size_t at = html.find(kRequestHostToken); at != std::string::npos;
       at = html.find(kRequestHostToken, from)) {
    out.append(html, from, at - from).append(host);
    from = at + kRequestHostToken.size();
  }
  return out.append(html, from);
}

}  // namespace

struct HttpServer::Port {
  HttpServer* server = nullptr;
  int number = 0;
  std::string role;
  mg_context* context = nullptr;
  std::shared_ptr<const render::RenderedPage> page;  // guarded by server->mutex_
  // The OpenMetrics text and gzip of `openmetrics_source`, guarded by server->mutex_.
  std::shared_ptr<const render::RenderedPage> openmetrics_source;
  std::shared_ptr<const std::pair<std::string, std::string>> openmetrics;
  std::shared_ptr<const std::string> status_page;  // guarded by server->mutex_
};

HttpServer::HttpServer(ServerOptions options) : options_(std::move(options)) {
  std::call_once(library_once, [] { mg_init_library(MG_FEATURES_TLS); });
  if (!options_.tls_cert_file.empty()) {
    auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    const std::string problem = configure_tls(context->native_handle(), options_);
    if (!problem.empty()) throw ServerError("HTTPS: " + problem);
    tls_front_ = std::make_unique<TlsFront>(std::move(context));
    std::vector<std::string> files = {options_.tls_cert_file, options_.tls_key_file};
    if (!options_.tls_client_ca_file.empty()) files.push_back(options_.tls_client_ca_file);
    tls_files_ = std::make_unique<common::CredentialWatch>(std::move(files));
  }
  if (!options_.bcrypt_users.empty()) {
    bcrypt_users_ = std::make_unique<BcryptUsers>(options_.bcrypt_users);
  }
  not_ready_reason_ = std::make_shared<const std::string>("no collection cycle has completed yet");
}

std::optional<std::string> HttpServer::reload_tls_if_changed() {
  if (!tls_files_ || !tls_files_->changed()) return std::nullopt;
  auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  const std::string problem = configure_tls(context->native_handle(), options_);
  if (!problem.empty()) return "HTTPS: " + problem;
  tls_front_->use_context(std::move(context));
  return "";
}

HttpServer::~HttpServer() {
  std::map<int, std::unique_ptr<Port>> ports;
  {
    std::lock_guard lock(mutex_);
    ports.swap(ports_);
  }
  // Each context takes about a second to stop; stop them together.
  std::vector<std::thread> stopping;
  for (auto& [number, port] : ports) stopping.emplace_back([context = port->context] { mg_stop(context); });
  for (auto& thread : stopping) thread.join();
}

void HttpServer::ensure_port(int number, const std::string& role) {
  {
    std::lock_guard lock(mutex_);
    auto it = ports_.find(number);
    if (it != ports_.end()) {
      it->second->role = role;
      return;
    }
  }
  auto port = std::make_unique<Port>();
  port->server = this;
  port->number = number;
  port->role = role;
  // With TLS, civetweb serves plain HTTP on a loopback port of the system's choice, and the
  // TLS front takes the public port.
  const bool tls = tls_front_ != nullptr;
  std::string listen = options_.listen_address + ":" + std::to_string(number);
  if (options_.listen_address.find(':') != std::string::npos) {
    listen = "[" + options_.listen_address + "]:" + std::to_string(number);
  }
  if (tls) listen = "127.0.0.1:0";
  const std::string threads = std::to_string(options_.threads_per_port);
  std::vector<const char*> civet_options = {
      "listening_ports",       listen.c_str(), "num_threads",       threads.c_str(),
      "request_timeout_ms",    "10000",        "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", "30000",        "max_request_size",  "16384"};
  civet_options.push_back(nullptr);
  mg_callbacks callbacks{};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = civet_options.data();
  mg_error_data error{};
  char error_text[256] = {0};
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  port->context = mg_start2(&init, &error);
  if (port->context == nullptr) {
    throw ServerError("cannot serve port " + std::to_string(number) + " on " + options_.listen_address +
                      ": " + (error_text[0] ? error_text : "bind failed (port in use?)"));
  }
  mg_set_request_handler(port->context, "/", &HttpServer::handle, port.get());
  if (tls) {
    mg_server_port bound{};
    try {
      if (mg_get_server_ports(port->context, 1, &bound) != 1) throw std::runtime_error("no loopback port");
      tls_front_->add_port(options_.listen_address, number, bound.port);
    } catch (const std::exception& error) {
      mg_stop(port->context);
      throw ServerError("cannot serve port " + std::to_string(number) + " on " + options_.listen_address +
                        ": " + error.what());
    }
  }
  std::lock_guard lock(mutex_);
  ports_[number] = std::move(port);
}

void HttpServer::remove_port(int number) {
  std::unique_ptr<Port> port;
  {
    std::lock_guard lock(mutex_);
    auto it = ports_.find(number);
    if (it == ports_.end()) return;
    port = std::move(it->second);
    ports_.erase(it);
  }
  if (tls_front_) tls_front_->remove_port(number);
  mg_stop(port->context);
}

bool HttpServer::serves(int number) const {
  std::lock_guard lock(mutex_);
  return ports_.count(number) > 0;
}

void HttpServer::publish(int number, std::shared_ptr<const render::RenderedPage> page) {
  std::lock_guard lock(mutex_);
  auto it = ports_.find(number);
  if (it != ports_.end()) it->second->page = std::move(page);
}

void HttpServer::publish_status_page(int number, std::shared_ptr<const std::string> html) {
  std::lock_guard lock(mutex_);
  auto it = ports_.find(number);
  if (it != ports_.end()) it->second->status_page = std::move(html);
}

void HttpServer::set_ready(bool ready, const std::string& reason) {
  std::lock_guard lock(mutex_);
  ready_ = ready;
  not_ready_reason_ = std::make_shared<const std::string>(reason);
}

int HttpServer::handle(mg_connection* connection, void* port) {
  auto* p = static_cast<Port*>(port);
  return p->server->serve(connection, *p);
}

bool HttpServer::authorized(mg_connection* connection) {
  if (bcrypt_users_) {
    const char* header = mg_get_header(connection, "Authorization");
    if (header == nullptr || std::strncmp(header, "Basic ", 6) != 0) return false;
    const auto decoded = common::base64_decode(trim(header + 6));
    if (!decoded) return false;
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    return bcrypt_users_->verify(decoded->substr(0, colon), std::string_view(*decoded).substr(colon + 1));
  }
  if (options_.basic_auth_username.empty()) return true;
  const char* header = mg_get_header(connection, "Authorization");
  const std::string expected =
      "Basic " + common::base64_encode(options_.basic_auth_username + ":" + options_.basic_auth_password);
  return header != nullptr && constant_time_equal(header, expected);
}

std::shared_ptr<const std::pair<std::string, std::string>> HttpServer::openmetrics_of(
    Port& port, const std::shared_ptr<const render::RenderedPage>& page) {
  {
    std::lock_guard lock(mutex_);
    if (port.openmetrics_source == page) return port.openmetrics;
  }
  std::string converted = render::openmetrics_from_text(render::page_text(*page));
  std::string compressed = render::gzip_compress(converted);
  auto made = std::make_shared<const std::pair<std::string, std::string>>(std::move(converted),
                                                                          std::move(compressed));
  std::lock_guard lock(mutex_);
  port.openmetrics_source = page;
  port.openmetrics = made;
  return made;
}

int HttpServer::serve(mg_connection* connection, Port& port) {
  const mg_request_info* request = mg_get_request_info(connection);
  const std::string path = request->local_uri ? request->local_uri : "/";
  const std::string method = request->request_method ? request->request_method : "";
  if (!authorized(connection)) {
    send(connection, 401, "Unauthorized", "text/plain", "authentication required\n",
         "WWW-Authenticate: Basic realm=\"kafka-sidecar-exporter\"\r\n");
    return 401;
  }
  if (method != "GET" && method != "HEAD") {
    send(connection, 405, "Method Not Allowed", "text/plain", "only GET and HEAD\n", "Allow: GET, HEAD\r\n");
    return 405;
  }
  if (path == "/metrics" || path == options_.metrics_path) {
    std::shared_ptr<const render::RenderedPage> page;
    {
      std::lock_guard lock(mutex_);
      page = port.page;
    }
    if (!page) {
      send(connection, 503, "Service Unavailable", "text/plain",
           "no metrics yet: the first collection cycle has not finished\n");
      return 503;
    }
    const bool gzip = accepts_gzip(mg_get_header(connection, "Accept-Encoding"));
    const bool openmetrics = prefers_openmetrics(mg_get_header(connection, "Accept"));
    const auto families = requested_families(request->query_string);
    const std::string_view content_type =
        openmetrics ? render::kOpenMetricsContentType : render::kTextContentType;
    const auto write_head = [&](size_t length, bool compressed) {
      mg_printf(connection,
                "HTTP/1.1 200 OK\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
                "Vary: Accept, Accept-Encoding\r\n%s\r\n",
                static_cast<int>(content_type.size()), content_type.data(), length,
                compressed ? "Content-Encoding: gzip\r\n" : "");
    };
    if (!families.empty() || openmetrics) {
      std::shared_ptr<const std::pair<std::string, std::string>> converted;
      std::string body;
      if (!families.empty()) {
        // A subset is rare (a debugging curl): rendered per request, never cached.
        body = render::filter_families(render::page_text(*page), families);
        if (openmetrics) body = render::openmetrics_from_text(body);
        if (gzip) body = render::gzip_compress(body);
      } else {
        converted = openmetrics_of(port, page);
      }
      const std::string& out = converted ? (gzip ? converted->second : converted->first) : body;
      write_head(out.size(), gzip);
      if (method != "HEAD") mg_write(connection, out.data(), out.size());
      return 200;
    }
    if (!gzip || page->gzip.empty()) {
      // Text asked for: only the gzip of the head is kept, so it is expanded for this request.
      const std::string text = render::page_text(*page);
      write_head(text.size(), false);
      if (method != "HEAD") mg_write(connection, text.data(), text.size());
      return 200;
    }
    const std::string_view head = page->gzip_head ? std::string_view(*page->gzip_head) : std::string_view();
    write_head(head.size() + page->gzip.size(), true);
    if (method != "HEAD") {
      mg_write(connection, head.data(), head.size());
      mg_write(connection, page->gzip.data(), page->gzip.size());
    }
    return 200;
  }
  if (path == "/healthz") {
    send(connection, 200, "OK", "text/plain", "ok\n");
    return 200;
  }
  if (path == "/ready") {
    std::shared_ptr<const std::string> reason;
    {
      std::lock_guard lock(mutex_);
      reason = not_ready_reason_;
    }
    if (ready_) {
      send(connection, 200, "OK", "text/plain", "ready\n");
      return 200;
    }
    send(connection, 503, "Service Unavailable", "text/plain", "not ready: " + *reason + "\n");
    return 503;
  }
  if (path == "/") {
    std::string role;
    std::shared_ptr<const std::string> status_page;
    {
      std::lock_guard lock(mutex_);
      role = port.role;
      status_page = port.status_page;
    }
    if (status_page) {
      const std::string body =
          with_request_host(*status_page, request_host(mg_get_header(connection, "Host")));
      mg_printf(connection,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n"
                "Cache-Control: no-store\r\n\r\n",
                body.size());
      if (method != "HEAD") mg_write(connection, body.data(), body.size());
      return 200;
    }
    const std::string body =
        "<!doctype html><html><head><title>kafka-sidecar-exporter</title></head><body>"
        "<h1>kafka-sidecar-exporter</h1><p>Port " +
        std::to_string(port.number) + ": " + role +
        "</p><ul><li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/healthz\">/healthz</a>"
        "</li><li><a href=\"/ready\">/ready</a></li></ul></body></html>\n";
    send(connection, 200, "OK", "text/html; charset=utf-8", body);
    return 200;
  }
  send(connection, 404, "Not Found", "text/plain", "not found; try /metrics\n");
  return 404;
}

}  // namespace kse::http
