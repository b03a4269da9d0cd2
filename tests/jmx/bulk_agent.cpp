#include "bulk_agent.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kse::jmx::test {

int listen_on_loopback(int& port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  listen(fd, 8);
  return fd;
}

BulkAgent::BulkAgent(Answer answer) : answer_(std::move(answer)) {
  fd_ = listen_on_loopback(port_);
  thread_ = std::thread([this] {
    for (;;) {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) break;
      serve(client);
      close(client);
    }
  });
}

BulkAgent::~BulkAgent() {
  shutdown(fd_, SHUT_RDWR);
  close(fd_);
  thread_.join();
}

void BulkAgent::serve(int client) {
  std::string text;
  char buffer[65536];
  size_t body_at = std::string::npos;
  size_t length = 0;
  for (;;) {
    const ssize_t n = read(client, buffer, sizeof buffer);
    if (n <= 0) return;
    text.append(buffer, static_cast<size_t>(n));
    if (body_at == std::string::npos && (body_at = text.find("\r\n\r\n")) != std::string::npos) {
      body_at += 4;
      const size_t header = text.find("ontent-Length: ");
      length = header < body_at ? std::stoul(text.substr(header + 15)) : 0;
    }
    if (body_at != std::string::npos && text.size() >= body_at + length) break;
  }
  ++posts_;
  simdjson::dom::parser parser;
  std::string reply = "[";
  for (auto request : simdjson::dom::array(parser.parse(text.substr(body_at)))) {
    if (reply.size() > 1) reply += ',';
    // Jolokia echoes each request in its answer.
    const std::string echo = R"({"request":)" + simdjson::minify(request);
    const auto value = answer_(request);
    reply += echo + (value ? R"(,"status":200,"value":)" + *value + "}"
                           : std::string(R"(,"status":404,"error":"no such bean"})"));
  }
  reply += "]";
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(reply.size()) + "\r\n\r\n" + reply;
  (void)!write(client, response.data(), response.size());
}

}  // namespace kse::jmx::test
