#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "config/config.h"

// Which ports this process serves and which broker each one belongs to.
namespace kse::app {

struct PortPlan {
  // broker id -> port, for every broker this process serves (also brokers that left).
  std::map<int32_t, int> broker_ports;
  // Brokers whose port would be invalid or taken, with that port: not served.
  std::map<int32_t, int64_t> unserved;
  // Absent in sidecar mode when another sidecar (a lower live broker id) has it.
  std::optional<int> cluster_port;
  // Who serves the exporter's own series: the cluster port, or the sidecar's own port.
  int32_t exporter_owner = -1;
  // serve.single_port: every series goes to the cluster port.
  bool single_port = false;
};

// `known_brokers` are all broker ids seen so far; `live_brokers` those in the latest
// metadata. A broker's port is serve.broker_ports' entry, else
// serve.broker_port_base + id - 1 (broker 1 on the base); a sidecar's is its entry, else
// the base itself.
PortPlan plan_ports(const config::ServeConfig& serve, const std::vector<int32_t>& known_brokers,
                    const std::vector<int32_t>& live_brokers);

}  // namespace kse::app
