#include "app/page_plan.h"

namespace kse::app {

size_t PagePlan::slot_of(int32_t owner) const {
  if (single_page) return cluster_slot.value_or(kNotServed);
  auto it = slot_of_broker.find(owner);
  if (it != slot_of_broker.end()) return it->second;
  if (owner >= 0) return kNotServed;
  return cluster_slot.value_or(kNotServed);
}

PagePlan plan_pages(const PortPlan& ports, const std::set<int>& open) {
  PagePlan plan;
  plan.single_page = ports.single_port;
  if (ports.cluster_port && open.count(*ports.cluster_port)) {
    plan.cluster_slot = plan.ports.size();
    plan.ports.push_back(*ports.cluster_port);
  }
  for (const auto& [broker, port] : ports.broker_ports) {
    if (!open.count(port)) continue;
    plan.slot_of_broker[broker] = plan.ports.size();
    plan.ports.push_back(port);
  }
  return plan;
}

}  // namespace kse::app
