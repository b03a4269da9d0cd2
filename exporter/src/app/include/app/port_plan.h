#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "config/config.h"
#include "model/snapshot.h"

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

// The port plan from one cycle to the next: every broker seen keeps its port, and the
// cluster port goes to the lowest live broker whose sidecar answers.
class PortRoles {
 public:
  explicit PortRoles(const config::ServeConfig& serve) : serve_(serve) {}

  // `brokers` as the cycle saw them; without Metadata (`metadata_up` false) the live
  // brokers are those of the last cycle that read it. `silent_sidecars`: lower brokers
  // whose sidecar did not answer, which cannot serve the cluster port. A broker whose port
  // cannot be served is logged once.
  PortPlan next(const std::vector<model::BrokerInfo>& brokers, bool metadata_up,
                const std::set<int32_t>& silent_sidecars);

  // Registered brokers of the last cycle that read Metadata.
  size_t live_count() const { return last_live_.size(); }

 private:
  const config::ServeConfig& serve_;
  std::set<int32_t> known_;
  std::vector<int32_t> last_live_;
  std::set<int32_t> unserved_logged_;
};

}  // namespace kse::app
