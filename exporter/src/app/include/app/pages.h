#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/page_plan.h"
#include "metrics/family.h"
#include "model/model.h"
#include "render/exposition.h"

// The pages one process serves: per port, a head rendered and compressed once per
// cycle (only its gzip is kept), and a tail (the probe's series) appended each time the
// tail changes.
namespace kse::app {

using FamilySets = std::vector<const std::vector<metrics::Family>*>;

struct PortPage {
  int port = 0;
  std::shared_ptr<render::RenderedPage> page;
};

class Pages {
 public:
  // A new cycle: `plan` says which port each owner's series go to; `sets` are the
  // cycle's families, rendered into each port's head in this order.
  void render_heads(PagePlan plan, const FamilySets& sets);

  // Each port's page: its head followed by `tail` (families rendered now).
  std::vector<PortPage> with_tail(const FamilySets& tail, std::chrono::system_clock::time_point now) const;

  const PagePlan& plan() const { return plan_; }

  // What the last render_heads cost: its render and gzip times, and each head's sizes.
  struct Cost {
    double render_seconds = 0;
    double gzip_seconds = 0;
    std::map<int, model::PageBytes> pages;
  };
  const std::optional<Cost>& last_cost() const { return last_cost_; }

 private:
  struct Head {
    int port = 0;
    size_t series = 0;
    std::shared_ptr<const std::string> gzip_bytes;
    render::GzipHead gzip;  // crc and length of the text; its bytes are in gzip_bytes
  };
  PagePlan plan_;
  std::vector<Head> heads_;
  std::optional<Cost> last_cost_;
};

}  // namespace kse::app
