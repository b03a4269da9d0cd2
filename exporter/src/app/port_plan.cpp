#include "app/port_plan.h"

#include <algorithm>
#include <set>

namespace kse::app {

PortPlan plan_ports(const config::ServeConfig& serve, const std::vector<int32_t>& known_brokers,
                    const std::vector<int32_t>& live_brokers, const std::map<int32_t, int>& previous) {
  PortPlan plan;
  std::vector<int32_t> known = known_brokers;
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  if (serve.broker_id) {
    // A sidecar runs next to its broker: its port does not depend on what it knows of
    // the others (serve.broker_ports, else serve.broker_port_base).
    plan.broker_ports[*serve.broker_id] = config::broker_port(serve, *serve.broker_id, 0);
  } else {
    std::set<int> taken;
    for (int32_t id : known) {
      auto it = previous.find(id);
      if (it == previous.end()) continue;
      plan.broker_ports[id] = it->second;
      taken.insert(it->second);
    }
    for (const auto& [id, port] : serve.broker_ports) taken.insert(port);
    taken.insert(serve.cluster_port);
    for (size_t index = 0; index < known.size(); ++index) {
      const int32_t id = known[index];
      if (plan.broker_ports.count(id)) continue;
      int port = config::broker_port(serve, id, static_cast<int>(index));
      if (!serve.broker_ports.count(id)) {
        for (int next = serve.broker_port_base; taken.count(port); ++next) port = next;
      }
      plan.broker_ports[id] = port;
      taken.insert(port);
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

}  // namespace kse::app
