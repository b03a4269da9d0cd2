#include "app/pages.h"

namespace kse::app {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void Pages::render_heads(PagePlan plan, const FamilySets& sets) {
  plan_ = std::move(plan);
  std::vector<size_t> series;
  Cost cost;
  const auto rendering = std::chrono::steady_clock::now();
  auto texts = render::render_slots(
      sets, plan_.ports.size(), [this](int32_t owner) { return plan_.slot_of(owner); }, size_hints_, &series);
  cost.render_seconds = seconds_since(rendering);
  size_hints_.assign(texts.size(), 0);
  heads_.clear();
  for (size_t slot = 0; slot < plan_.ports.size(); ++slot) {
    size_hints_[slot] = texts[slot].size();
    const auto compressing = std::chrono::steady_clock::now();
    auto gzip = render::gzip_head(texts[slot]);
    cost.gzip_seconds += seconds_since(compressing);
    cost.pages[plan_.ports[slot]] = {texts[slot].size(), gzip.bytes.size()};
    Head head;
    head.port = plan_.ports[slot];
    head.series = series[slot];
    head.gzip_bytes = std::make_shared<const std::string>(std::move(gzip.bytes));
    gzip.bytes.clear();
    head.gzip = gzip;
    // Only the gzip is kept: Prometheus asks for it, and a scraper that wants text gets it
    // expanded (render::page_text). Half a page's memory is not held for a rare request.
    std::string().swap(texts[slot]);
    heads_.push_back(std::move(head));
  }
  last_cost_ = std::move(cost);
}

std::vector<PortPage> Pages::with_tail(const FamilySets& tail,
                                       std::chrono::system_clock::time_point now) const {
  std::vector<size_t> series;
  auto tails = render::render_slots(
      tail, heads_.size(), [this](int32_t owner) { return plan_.slot_of(owner); }, {}, &series);
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
