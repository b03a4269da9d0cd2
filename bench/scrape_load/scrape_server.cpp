// Serves a pre-rendered 100,000-series page on 127.0.0.1:<port> through the
// exporter's HTTP layer, for bench/scrape_load/run.sh. Stops after <seconds>.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "http/server.h"
#include "metrics/family.h"
#include "render/exposition.h"

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 19700;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 60;
  kse::metrics::Family family{"kafka_topic_partition_current_offset",
                              "Log-end offset of the partition.",
                              kse::metrics::MetricType::kGauge,
                              {"topic", "partition"},
                              {}};
  for (int t = 0; t < 1000; ++t) {
    for (int p = 0; p < 100; ++p) {
      kse::metrics::Sample sample;
      sample.label_values = {"courier-positions-" + std::to_string(t), std::to_string(p)};
      sample.value = 1'000'000 + t * 100 + p;
      family.samples.push_back(std::move(sample));
    }
  }
  auto page = std::make_shared<kse::render::RenderedPage>();
  page->text = kse::render::render_text({family});
  page->gzip = kse::render::gzip_compress(page->text);
  page->series = family.samples.size();
  kse::http::ServerOptions options;
  options.listen_address = "127.0.0.1";
  kse::http::HttpServer server(options);
  server.ensure_port(port, "benchmark");
  server.publish(port, page);
  server.set_ready(true, "");
  std::cout << "serving " << page->series << " series (" << page->text.size() << " bytes, gzip "
            << page->gzip.size() << ") on 127.0.0.1:" << port << std::endl;
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  return 0;
}
