#include "support/test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace kse::test {

namespace {
std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}
}  // namespace

std::string source_dir() { return env_or("KSE_SOURCE_DIR", KSE_SOURCE_DIR_DEFAULT); }
std::string build_dir() { return env_or("KSE_BUILD_DIR", KSE_BUILD_DIR_DEFAULT); }

CommandResult run_command(const std::string& command, std::chrono::seconds timeout) {
  // timeout(1) bounds every external call so a hung tool fails the test instead of the run.
  std::string wrapped =
      "timeout -k 5 " + std::to_string(timeout.count()) + " /bin/sh -c " + shell_quote(command) + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(wrapped.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "popen failed";
    return result;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    result.output.append(buffer, n);
  }
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

CommandResult kafka_tool(const std::string& tool, const std::string& arguments,
                         std::chrono::seconds timeout) {
  return run_command(source_dir() + "/cluster/kafka-tool " + tool + " " + arguments, timeout);
}

std::string remove_extra_broker(int id) {
  cluster_script("stop-broker " + std::to_string(id));
  std::string last;
  // Kafka unregisters a broker once its controller session has ended (fenced).
  for (int attempt = 0; attempt < 30; ++attempt) {
    auto result =
        kafka_tool("kafka-cluster",
                   std::string("unregister --bootstrap-server ") + kBootstrap + " --id " + std::to_string(id),
                   std::chrono::seconds(60));
    if (result.exit_code == 0) return "";
    last = result.output;
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  return last.empty() ? "unregister failed" : last;
}

CommandResult cluster_script(const std::string& arguments, std::chrono::seconds timeout) {
  return run_command(source_dir() + "/cluster/kafka-cluster " + arguments, timeout);
}

namespace {

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

}  // namespace

int free_port_block() {
  // From a start that differs per process, so two test processes seldom try the same ports.
  for (int i = 0; i < 10000; ++i) {
    const int port = 20000 + (::getpid() + i * 7) % 10000;
    if (port_free(port) && port_free(port + 100) && port_free(port + 101) && port_free(port + 102))
      return port;
  }
  return -1;
}

std::map<std::string, std::string> cluster_env() {
  std::map<std::string, std::string> vars;
  for (const auto& line : split_lines(cluster_script("env", std::chrono::seconds(30)).output)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return vars;
}

bool zookeeper_mode() {
  static const bool zookeeper = cluster_env()["MODE"] == "zookeeper";
  return zookeeper;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    lines.push_back(line);
  }
  return lines;
}

std::optional<std::string> generated_section(const std::string& document, const std::string& name) {
  std::ifstream file(source_dir() + "/" + document);
  if (!file) return std::nullopt;
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  const std::string begin_marker = "<!-- BEGIN GENERATED: " + name + " -->\n";
  const auto begin = text.find(begin_marker);
  const auto end = text.find("<!-- END GENERATED: " + name + " -->");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return std::nullopt;
  return text.substr(begin + begin_marker.size(), end - begin - begin_marker.size());
}

}  // namespace kse::test
