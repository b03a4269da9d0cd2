#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

// One HTTP(S) POST or GET with a connect timeout, a whole-exchange timeout and a
// response size limit: what the Jolokia bridge, the OAuth token provider and the
// Connect and Schema Registry collectors need.
namespace kse::http_client {

class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpTarget {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // starts with '/'
};

// Parses "http://host:port/path" or "https://...". Throws HttpError.
HttpTarget parse_http_url(const std::string& url);

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{10000};  // from the request sent to the last byte
  size_t max_body_bytes = 256u << 20;
  std::string username;  // basic auth when not empty
  std::string password;
  std::string ca_file;  // TLS: verify the server with this CA (system CAs when empty)
  bool verify_tls = true;
  std::string content_type = "application/json";
  std::string accept = "application/json";
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// Throws HttpError saying which step failed (resolve, connect, TLS, timeout, too large...).
HttpResponse http_post(const HttpTarget& target, const std::string& body, const HttpOptions& options);
HttpResponse http_get(const HttpTarget& target, const HttpOptions& options);

}  // namespace kse::http_client
