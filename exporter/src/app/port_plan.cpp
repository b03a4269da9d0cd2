#include "app/port_plan.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace kse::app {

PortPlan plan_ports(const config::ServeConfig& serve, const std::vector<int32_t>& known_brokers,
                    const std::vector<int32_t>& live_brokers) {
  PortPlan plan;
  if (serve.single_port) {
    plan.cluster_port = serve.cluster_port;
    plan.single_port = true;
    return plan;
  }
  if (serve.broker_id) {
    // A sidecar runs next to its broker, alone on its host or pod: serve.broker_ports'
    // entry, else the base itself.
    plan.broker_ports[*serve.broker_id] = config::broker_port(serve, *serve.broker_id);
  } else {
    // Every port is a function of its broker id alone, so no start order or broker
    // joining later can move one. A port that is not a valid one, or is taken by the
    // cluster port or another broker's explicit port, is not served and said so.
    std::set<int> explicit_ports;
    for (const auto& [id, port] : serve.broker_ports) explicit_ports.insert(port);
    for (int32_t id : known_brokers) {
      const int64_t port = config::broker_port(serve, id);
      const bool clash = port == serve.cluster_port ||
                         (!serve.broker_ports.count(id) && explicit_ports.count(static_cast<int>(port)));
      if (port < 1 || port > 65535 || clash) {
        plan.unserved[id] = port;
        continue;
      }
      plan.broker_ports[id] = static_cast<int>(port);
    }
  }
  if (!serve.broker_id) {
    plan.cluster_port = serve.cluster_port;
    plan.exporter_owner = -1;
    return plan;
  }
  const int32_t self = *serve.broker_id;
  plan.exporter_owner = self;
  // The sidecar of the lowest live broker id serves the cluster port; until the
  // metadata says who that is, none does (two sidecars on one host would collide).
  std::vector<int32_t> live = live_brokers;
  std::sort(live.begin(), live.end());
  if (!live.empty() && live.front() == self) {
    plan.cluster_port = serve.cluster_port;
  }
  return plan;
}

PortPlan PortRoles::next(const std::vector<model::BrokerInfo>& brokers, bool metadata_up,
                         const std::set<int32_t>& silent_sidecars) {
  std::vector<int32_t> live;
  for (const auto& broker : brokers) {
    known_.insert(broker.id);
    if (broker.registered) live.push_back(broker.id);
  }
  // A cycle that could not read Metadata changes no port's role.
  if (metadata_up) {
    last_live_ = live;
  } else {
    live = last_live_;
  }
  // A sidecar whose lower neighbours' sidecars are dead or hung takes the cluster port over.
  std::erase_if(live, [&](int32_t id) { return silent_sidecars.count(id) > 0; });
  PortPlan plan = plan_ports(serve_, {known_.begin(), known_.end()}, live);
  for (const auto& [broker, port] : plan.unserved) {
    if (unserved_logged_.insert(broker).second) {
      spdlog::error(
          "broker {}: its port {} is not a free, valid port (serve.broker_port_base + id - 1); "
          "give it one in serve.broker_ports. Its series are not served.",
          broker, port);
    }
  }
  return plan;
}

}  // namespace kse::app
