#include "http/server.h"

#include <civetweb.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/base64.h"

namespace kse::http {

namespace {

std::once_flag library_once;

void send(mg_connection* connection, int status, const char* status_text, const std::string& content_type,
          std::string_view body, const char* extra_headers = "") {
  mg_printf(connection,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n", status,
            status_text, content_type.c_str(), body.size(), extra_headers);
  mg_write(connection, body.data(), body.size());
}

// Accept-Encoding names gzip (or *) with a non-zero quality ("gzip;q=0" refuses it).
bool accepts_gzip(const char* header) {
  if (header == nullptr) return false;
  std::string_view rest(header);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semicolon = item.find(';');
    std::string_view coding = item.substr(0, semicolon);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    std::string_view params = item.substr(semicolon + 1);
    const size_t q = params.find("q=");
    if (q == std::string_view::npos) return true;
    return std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr) > 0;
  }
  return false;
}

// Compares every byte whatever the first difference, so timing does not reveal the password.
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

}  // namespace

struct HttpServer::Port {
  HttpServer* server = nullptr;
  int number = 0;
  std::string role;
  mg_context* context = nullptr;
  std::shared_ptr<const render::RenderedPage> page;  // guarded by server->mutex_
};

HttpServer::HttpServer(ServerOptions options) : options_(std::move(options)) {
  std::call_once(library_once, [] { mg_init_library(MG_FEATURES_TLS); });
  if (!options_.tls_cert_file.empty() && mg_check_feature(2) == 0) {
    throw ServerError("TLS for the HTTP ports was asked for, but this civetweb has no TLS support");
  }
  not_ready_reason_ = std::make_shared<const std::string>("no collection cycle has completed yet");
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
  const bool tls = !options_.tls_cert_file.empty();
  std::string listen = options_.listen_address + ":" + std::to_string(number) + (tls ? "s" : "");
  if (options_.listen_address.find(':') != std::string::npos) {
    listen = "[" + options_.listen_address + "]:" + std::to_string(number) + (tls ? "s" : "");
  }
  const std::string threads = std::to_string(options_.threads_per_port);
  std::vector<const char*> civet_options = {
      "listening_ports", listen.c_str(), "num_threads", threads.c_str(),
      "request_timeout_ms", "10000", "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", "30000", "max_request_size", "16384"};
  std::string certificate_bundle;
  if (tls) {
    // civetweb wants the key and certificate in one PEM file.
    certificate_bundle = options_.tls_cert_file;
    civet_options.push_back("ssl_certificate");
    civet_options.push_back(certificate_bundle.c_str());
  }
  civet_options.push_back(nullptr);
  mg_callbacks callbacks{};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = nullptr;
  init.configuration_options = civet_options.data();
  mg_error_data error{};
  char error_text[256] = {0};
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  port->context = mg_start2(&init, &error);
  if (port->context == nullptr) {
    throw ServerError("cannot serve port " + std::to_string(number) + " on " +
                      options_.listen_address + ": " +
                      (error_text[0] ? error_text : "bind failed (port in use?)"));
  }
  mg_set_request_handler(port->context, "/", &HttpServer::handle, port.get());
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

void HttpServer::set_ready(bool ready, const std::string& reason) {
  std::lock_guard lock(mutex_);
  ready_ = ready;
  not_ready_reason_ = std::make_shared<const std::string>(reason);
}

int HttpServer::handle(mg_connection* connection, void* port) {
  auto* p = static_cast<Port*>(port);
  return p->server->serve(connection, *p);
}

bool HttpServer::authorized(mg_connection* connection) const {
  if (options_.basic_auth_username.empty()) return true;
  const char* header = mg_get_header(connection, "Authorization");
  const std::string expected =
      "Basic " + common::base64_encode(options_.basic_auth_username + ":" + options_.basic_auth_password);
  return header != nullptr && constant_time_equal(header, expected);
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
      send(connection, 503, "Service Unavailable", "text/plain", "no metrics yet: the first collection cycle has not finished\n");
      return 503;
    }
    const bool gzip = accepts_gzip(mg_get_header(connection, "Accept-Encoding")) && !page->gzip.empty();
    const std::string* head = gzip ? page->gzip_head.get() : page->text_head.get();
    const std::string_view first = head ? std::string_view(*head) : std::string_view();
    const std::string_view rest = gzip ? page->gzip : page->text;
    mg_printf(connection,
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: %zu\r\n%s\r\n",
              first.size() + rest.size(),
              gzip ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n" : "Vary: Accept-Encoding\r\n");
    if (method != "HEAD") {
      mg_write(connection, first.data(), first.size());
      mg_write(connection, rest.data(), rest.size());
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
    {
      std::lock_guard lock(mutex_);
      role = port.role;
    }
    const std::string body =
        "<!doctype html><html><head><title>kafka-sidecar-exporter</title></head><body>"
        "<h1>kafka-sidecar-exporter</h1><p>Port " + std::to_string(port.number) + ": " + role +
        "</p><ul><li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/healthz\">/healthz</a>"
        "</li><li><a href=\"/ready\">/ready</a></li></ul></body></html>\n";
    send(connection, 200, "OK", "text/html; charset=utf-8", body);
    return 200;
  }
  send(connection, 404, "Not Found", "text/plain", "not found; try /metrics\n");
  return 404;
}

}  // namespace kse::http
