#include "app/port_plan.h"

#include <algorithm>

namespace kse::app {

PortPlan plan_ports(const config::ServeConfig& serve, const std::vector<int32_t>& known_brokers,
                    const std::vector<int32_t>& live_brokers) {
  PortPlan plan;
  std::vector<int32_t> known = known_brokers;
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  if (serve.broker_id) {
    // A sidecar runs next to its broker: its port does not depend on what it knows of
    // the others (serve.broker_ports, else serve.broker_port_base).
    plan.broker_ports[*serve.broker_id] = config::broker_port(serve, *serve.broker_id, 0);
  } else {
    for (size_t index = 0; index < known.size(); ++index) {
      plan.broker_ports[known[index]] =
          config::broker_port(serve, known[index], static_cast<int>(index));
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
