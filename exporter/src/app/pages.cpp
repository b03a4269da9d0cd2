#include "app/pages.h"

namespace kse::app {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void Pages::render_heads(PagePlan plan, const FamilySets& sets) {
  plan_ = std::move(plan);
  Cost cost;
  const auto rendering = std::chrono::steady_clock::now();
  // Straight into gzip: Prometheus asks for it, and a scraper that wants text gets it expanded
  // (render::page_text). A page's text is never held whole.
  auto rendered = render::render_slots_gzip(sets, plan_.ports.size(),
                                            [this](int32_t owner) { return plan_.slot_of(owner); });
  cost.gzip_seconds = rendered.deflate_seconds;
  cost.render_seconds = seconds_since(rendering) - rendered.deflate_seconds;
  heads_.clear();
  for (size_t slot = 0; slot < plan_.ports.size(); ++slot) {
    render::GzipHead& gzip = rendered.gzip[slot];
    cost.pages[plan_.ports[slot]] = {gzip.length, gzip.bytes.size()};
    Head head;
    head.port = plan_.ports[slot];
    head.series = rendered.series[slot];
    head.gzip_bytes = std::make_shared<const std::string>(std::move(gzip.bytes));
    gzip.bytes.clear();
    head.gzip = gzip;
    heads_.push_back(std::move(head));
  }
  last_cost_ = std::move(cost);
}

std::vector<PortPage> Pages::with_tail(const FamilySets& tail,
                                       std::chrono::system_clock::time_point now) const {
  std::vector<size_t> series;
  auto tails = render::render_slots(
      tail, heads_.size(), [this](int32_t owner) { return plan_.slot_of(owner); }, &series);
  std::vector<PortPage> pages;
  pages.reserve(heads_.size());
  for (size_t slot = 0; slot < heads_.size(); ++slot) {
    const Head& head = heads_[slot];
    auto page = std::make_shared<render::RenderedPage>();
    page->gzip_head = head.gzip_bytes;
    page->gzip = render::gzip_tail(head.gzip, tails[slot]);
    page->text = std::move(tails[slot]);
    page->series = head.series + series[slot];
    page->rendered_at = now;
    pages.push_back({head.port, std::move(page)});
  }
  return pages;
}

}  // namespace kse::app
