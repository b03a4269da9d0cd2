// Building and rendering 100,000 series: ours (families + render_slots) against
// prometheus-cpp 1.0 (Registry + Family<Gauge>::Add + Collect + TextSerializer),
// on the same shape: 1,000 topics x 100 partitions of a current-offset gauge.
#include <benchmark/benchmark.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "metrics/family.h"
#include "render/exposition.h"

namespace {

constexpr int kTopics = 1000;
constexpr int kPartitions = 100;

std::vector<kse::metrics::Family> build_ours() {
  kse::metrics::Family family;
  family.name = "kafka_topic_partition_current_offset";
  family.help = "Log-end offset (high watermark) of the partition.";
  family.label_names = {"topic", "partition"};
  family.samples.reserve(kTopics * kPartitions);
  for (int t = 0; t < kTopics; ++t) {
    const std::string topic = "courier-positions-" + std::to_string(t);
    for (int p = 0; p < kPartitions; ++p) {
      kse::metrics::Sample sample;
      sample.label_values = {topic, std::to_string(p)};
      sample.value = 1'000'000.0 + t * 100 + p;
      sample.owner = (t + p) % 3 + 1;
      family.samples.push_back(std::move(sample));
    }
  }
  std::vector<kse::metrics::Family> families;
  families.push_back(std::move(family));
  return families;
}

void BM_Ours_BuildAndRender(benchmark::State& state) {
  size_t bytes = 0;
  for (auto _ : state) {
    auto families = build_ours();
    auto texts =
        kse::render::render_slots({&families}, 4, [](int32_t owner) { return static_cast<size_t>(owner); });
    bytes = texts[1].size() + texts[2].size() + texts[3].size();
    benchmark::DoNotOptimize(texts);
  }
  state.counters["series"] = kTopics * kPartitions;
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Ours_BuildAndRender)->Unit(benchmark::kMillisecond);

void BM_Ours_RenderOnly(benchmark::State& state) {
  auto families = build_ours();
  for (auto _ : state) {
    auto texts =
        kse::render::render_slots({&families}, 4, [](int32_t owner) { return static_cast<size_t>(owner); });
    benchmark::DoNotOptimize(texts);
  }
}
BENCHMARK(BM_Ours_RenderOnly)->Unit(benchmark::kMillisecond);

void BM_Ours_Gzip(benchmark::State& state) {
  auto families = build_ours();
  auto text = kse::render::render_text(families);
  for (auto _ : state) benchmark::DoNotOptimize(kse::render::gzip_compress(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Ours_Gzip)->Unit(benchmark::kMillisecond);

void BM_PrometheusCpp_BuildCollectSerialize(benchmark::State& state) {
  for (auto _ : state) {
    prometheus::Registry registry;
    auto& family = prometheus::BuildGauge()
                       .Name("kafka_topic_partition_current_offset")
                       .Help("Log-end offset (high watermark) of the partition.")
                       .Register(registry);
    for (int t = 0; t < kTopics; ++t) {
      const std::string topic = "courier-positions-" + std::to_string(t);
      for (int p = 0; p < kPartitions; ++p) {
        family.Add({{"topic", topic}, {"partition", std::to_string(p)}}).Set(1'000'000.0 + t * 100 + p);
      }
    }
    auto collected = registry.Collect();
    std::string text = prometheus::TextSerializer().Serialize(collected);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_PrometheusCpp_BuildCollectSerialize)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
