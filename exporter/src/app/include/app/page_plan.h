#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/port_plan.h"

// Which page each series goes to in one cycle: one page (slot) per port that is open.
namespace kse::app {

struct PagePlan {
  static constexpr size_t kNotServed = std::numeric_limits<size_t>::max();

  std::vector<int> ports;  // slot -> port: the cluster port first, then brokers in id order
  std::map<int32_t, size_t> slot_of_broker;
  std::optional<size_t> cluster_slot;
  bool single_page = false;  // serve.single_port: every owner's series on the cluster page

  // A broker's series go to its own page only (never to the cluster page: another
  // sidecar's, or a broker without an open port); cluster series (negative owner) to the
  // cluster page when this process serves it.
  size_t slot_of(int32_t owner) const;
};

// The pages of `ports`, leaving out those that could not be opened.
PagePlan plan_pages(const PortPlan& ports, const std::set<int>& open);

}  // namespace kse::app
