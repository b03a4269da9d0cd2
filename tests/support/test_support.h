#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Helpers shared by the test suites: paths of the tree and running Kafka's own
// tools (the independent truth the integration tests compare against).
namespace kse::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

std::string source_dir();
std::string build_dir();

// Runs `command` through /bin/sh, killed after `timeout`.
CommandResult run_command(const std::string& command,
                          std::chrono::seconds timeout = std::chrono::seconds(120));

// Runs one of Kafka's command-line tools from the cluster's jars, e.g.
// kafka_tool("kafka-topics", "--bootstrap-server 127.0.0.1:9092 --list").
CommandResult kafka_tool(const std::string& tool, const std::string& arguments,
                         std::chrono::seconds timeout = std::chrono::seconds(120));

// Runs `cluster/kafka-cluster <arguments>`.
CommandResult cluster_script(const std::string& arguments,
                             std::chrono::seconds timeout = std::chrono::seconds(300));

std::vector<std::string> split_lines(const std::string& text);

// A loopback port on which nothing listens now, and neither do port + 100 .. port + 102
// (broker ports 1..3 when the broker port base is port + 100), below the ephemeral range.
int free_port_block();

// The running cluster's own `kafka-cluster env` (KEY=value lines), as a map.
std::map<std::string, std::string> cluster_env();

// Whether the running cluster keeps its metadata in ZooKeeper (KSE_KAFKA_MODE=zookeeper:
// Kafka 2.8 and 3.x), as the cluster script says; the tests then check the ensemble where
// KRaft has a quorum.
bool zookeeper_mode();

// The part of a document of the tree (e.g. "docs/metrics.md") between
// `<!-- BEGIN GENERATED: name -->` and its END marker, which the code prints; none when
// the file or a marker is missing.
std::optional<std::string> generated_section(const std::string& document, const std::string& name);

// Decommissions an extra broker (4..9) a test added: stops it and unregisters it, so it
// is not left registered and fenced (a broker down) for the suites that follow.
// Returns the last tool output when the broker could not be unregistered within 60 s.
std::string remove_extra_broker(int id);

inline constexpr const char* kBootstrap = "127.0.0.1:9092";

}  // namespace kse::test
