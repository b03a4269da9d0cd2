#include "http_client/http_post.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

#include "common/base64.h"

namespace kse::http_client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Runs one asynchronous step to completion on the caller's thread; the stream's
// deadline turns a stall into beast::error::timeout.
template <typename Start>
void run_step(asio::io_context& io, const std::string& what, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  if (result == beast::error::timeout) throw HttpError(what + ": timed out");
  if (result == http::error::body_limit) throw HttpError(what + ": response larger than the limit");
  if (result) throw HttpError(what + ": " + result.message());
}

template <typename Stream>
HttpResponse exchange(asio::io_context& io, Stream& stream, beast::tcp_stream& lowest,
                      const HttpTarget& target, const std::string* body, const HttpOptions& options) {
  http::request<http::string_body> request{body ? http::verb::post : http::verb::get, target.path, 11};
  request.set(http::field::host, target.host + ":" + target.port);
  request.set(http::field::user_agent, "kafka-sidecar-exporter");
  if (body) request.set(http::field::content_type, options.content_type);
  request.set(http::field::accept, options.accept);
  request.set(http::field::connection, "close");
  if (!options.username.empty()) {
    request.set(http::field::authorization,
                "Basic " + common::base64_encode(options.username + ":" + options.password));
  }
  if (body) request.body() = *body;
  request.prepare_payload();

  lowest.expires_after(options.read_timeout);
  run_step(io, "sending the request",
           [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(64 * 1024);
  run_step(io, "reading the response",
           [&](auto handler) { http::async_read_header(stream, buffer, parser, std::move(handler)); });
  // Checked here too: Beast 1.74 does not always apply body_limit to a Content-Length.
  if (parser.content_length() && *parser.content_length() > options.max_body_bytes) {
    throw HttpError("reading the response: response larger than the limit (" +
                    std::to_string(options.max_body_bytes) + " bytes)");
  }
  run_step(io, "reading the response",
           [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  if (parser.get().body().size() > options.max_body_bytes) {
    throw HttpError("reading the response: response larger than the limit");
  }
  HttpResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  response.body = std::move(parser.get().body());
  return response;
}

}  // namespace

HttpTarget parse_http_url(const std::string& url) {
  HttpTarget target;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    target.tls = true;
    rest = url.substr(8);
  } else {
    throw HttpError("URL '" + url + "' must start with http:// or https://");
  }
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  target.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  const size_t bracket = authority.find(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) {
    target.host = authority;
    target.port = target.tls ? "443" : "80";
  } else {
    target.host = authority.substr(0, colon);
    target.port = authority.substr(colon + 1);
  }
  if (!target.host.empty() && target.host.front() == '[') {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  if (target.host.empty()) throw HttpError("URL '" + url + "' has no host");
  return target;
}

namespace {

// A POST of `*body`, or a GET when `body` is null.
HttpResponse request(const HttpTarget& target, const std::string* body, const HttpOptions& options) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(target.host, target.port, ec);
  if (ec) throw HttpError("resolving " + target.host + ": " + ec.message());

  const std::string where = target.host + ":" + target.port;
  if (!target.tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(options.connect_timeout);
    run_step(io, "connecting to " + where,
             [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    HttpResponse response = exchange(io, stream, stream, target, body, options);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return response;
  }

  asio::ssl::context context(asio::ssl::context::tls_client);
  if (options.verify_tls) {
    context.set_verify_mode(asio::ssl::verify_peer);
    if (options.ca_file.empty()) {
      context.set_default_verify_paths(ec);
    } else {
      context.load_verify_file(options.ca_file, ec);
    }
    if (ec) throw HttpError("loading the CA '" + options.ca_file + "': " + ec.message());
    context.set_verify_callback(asio::ssl::host_name_verification(target.host));
  } else {
    context.set_verify_mode(asio::ssl::verify_none);
  }
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str())) {
    throw HttpError("setting the TLS server name " + target.host);
  }
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options.connect_timeout);
  run_step(io, "connecting to " + where,
           [&](auto handler) { lowest.async_connect(endpoints, std::move(handler)); });
  run_step(io, "TLS handshake with " + where,
           [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, std::move(handler)); });
  HttpResponse response = exchange(io, stream, lowest, target, body, options);
  lowest.socket().shutdown(tcp::socket::shutdown_both, ec);
  return response;
}

}  // namespace

HttpResponse http_post(const HttpTarget& target, const std::string& body, const HttpOptions& options) {
  return request(target, &body, options);
}

HttpResponse http_get(const HttpTarget& target, const HttpOptions& options) {
  return request(target, nullptr, options);
}

}  // namespace kse::http_client
