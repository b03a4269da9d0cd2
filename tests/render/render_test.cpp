#include "render/exposition.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <zlib.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <cmath>
#include <limits>

namespace kse::render {
namespace {

using metrics::Family;
using metrics::MetricType;
using metrics::Sample;

Sample sample(std::vector<std::string> values, double value, int32_t owner = -1, std::string suffix = "",
              std::vector<metrics::Label> extra = {}) {
  Sample s;
  s.label_values = std::move(values);
  s.value = value;
  s.owner = owner;
  s.suffix = std::move(suffix);
  s.extra_labels = std::move(extra);
  return s;
}

TEST(RenderTest, LabelValuesKeepEveryValueAndAreSharedByCopies) {
  const std::string binary("a\0b", 3);
  const metrics::LabelValues values{"topic", "", binary, std::string(300, 'x')};
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0], "topic");
  EXPECT_EQ(values[1], "");
  EXPECT_EQ(values[2], binary);
  EXPECT_EQ(values.at(3).size(), 300u);
  EXPECT_THROW(values.at(4), std::out_of_range);
  const metrics::LabelValues copy = values;
  EXPECT_EQ(copy[3].data(), values[3].data());  // one block, not a copy per sample
  EXPECT_TRUE(copy == values.to_vector());
  EXPECT_TRUE(metrics::LabelValues{}.empty());
  std::vector<std::string> seen;
  values.each([&](std::string_view value) { seen.emplace_back(value); }, 2);
  EXPECT_EQ(seen, (std::vector<std::string>{"topic", ""}));
}

TEST(RenderTest, GaugeCounterAndEscaping) {
  Family gauge{"kafka_topic_partitions",
               "Number of partitions.\nSecond \\ line",
               MetricType::kGauge,
               {"topic"},
               {sample({"position"}, 5), sample({"we\"ird\\topic\n"}, 1)}};
  Family counter{"kafka_topic_leader_changes_total",
                 "Leader changes.",
                 MetricType::kCounter,
                 {"topic"},
                 {sample({"position"}, 12345678901)}};
  Family empty{"kafka_nothing", "Never shown.", MetricType::kGauge, {}, {}};
  EXPECT_EQ(render_text({gauge, counter, empty}),
            "# HELP kafka_topic_partitions Number of partitions.\\nSecond \\\\ line\n"
            "# TYPE kafka_topic_partitions gauge\n"
            "kafka_topic_partitions{topic=\"position\"} 5\n"
            "kafka_topic_partitions{topic=\"we\\\"ird\\\\topic\\n\"} 1\n"
            "# HELP kafka_topic_leader_changes_total Leader changes.\n"
            "# TYPE kafka_topic_leader_changes_total counter\n"
            "kafka_topic_leader_changes_total{topic=\"position\"} 12345678901\n");
}

TEST(RenderTest, NumbersAsPrometheusSpellsThem) {
  auto text = [](double v) {
    std::string out;
    append_value(out, v);
    return out;
  };
  EXPECT_EQ(text(0), "0");
  EXPECT_EQ(text(-3), "-3");
  EXPECT_EQ(text(0.25), "0.25");
  EXPECT_EQ(text(1e21), "1e+21");
  EXPECT_EQ(text(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(text(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(text(std::nan("")), "NaN");
  EXPECT_EQ(text(0.1 + 0.2), "0.30000000000000004");
}

TEST(RenderTest, HistogramAndSummaryUseSuffixesAndExtraLabels) {
  Family histogram{
      "kse_probe_latency_seconds",
      "Latency.",
      MetricType::kHistogram,
      {"broker"},
      {sample({"1"}, 3, -1, "_bucket", {{"le", "0.01"}}), sample({"1"}, 4, -1, "_bucket", {{"le", "+Inf"}}),
       sample({"1"}, 0.05, -1, "_sum"), sample({"1"}, 4, -1, "_count")}};
  EXPECT_EQ(render_text({histogram}),
            "# HELP kse_probe_latency_seconds Latency.\n"
            "# TYPE kse_probe_latency_seconds histogram\n"
            "kse_probe_latency_seconds_bucket{broker=\"1\",le=\"0.01\"} 3\n"
            "kse_probe_latency_seconds_bucket{broker=\"1\",le=\"+Inf\"} 4\n"
            "kse_probe_latency_seconds_sum{broker=\"1\"} 0.05\n"
            "kse_probe_latency_seconds_count{broker=\"1\"} 4\n");
}

TEST(RenderTest, OwnersSplitAcrossSlotsAndEachSampleAppearsOnce) {
  Family offsets{"kafka_topic_partition_current_offset",
                 "Offsets.",
                 MetricType::kGauge,
                 {"topic", "partition"},
                 {sample({"p", "0"}, 10, 1), sample({"p", "1"}, 20, 2), sample({"p", "2"}, 30, -1),
                  sample({"p", "3"}, 40, 9)}};
  Family brokers{"kafka_brokers", "Brokers.", MetricType::kGauge, {}, {sample({}, 2)}};
  std::vector<Family> families{offsets, brokers};
  // Slot 0: cluster; 1: broker 1; 2: broker 2; broker 9 has no slot and is dropped.
  std::vector<size_t> series;
  auto texts = render_slots(
      {&families}, 3,
      [](int32_t owner) -> size_t {
        if (owner == -1) return 0;
        if (owner == 1 || owner == 2) return static_cast<size_t>(owner);
        return 3;
      },
      &series);
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[1],
            "# HELP kafka_topic_partition_current_offset Offsets.\n"
            "# TYPE kafka_topic_partition_current_offset gauge\n"
            "kafka_topic_partition_current_offset{topic=\"p\",partition=\"0\"} 10\n");
  EXPECT_NE(texts[0].find("partition=\"2\"} 30"), std::string::npos);
  EXPECT_NE(texts[0].find("kafka_brokers 2"), std::string::npos);
  EXPECT_EQ(texts[2].find("kafka_brokers"), std::string::npos);
  EXPECT_EQ(series, (std::vector<size_t>{2, 1, 1}));
}

// The probe's producer and consumer statistics are two sets with the same family names:
// one page may carry only one HELP/TYPE block per family, and promtool must accept it.
TEST(RenderTest, SameFamilyFromTwoSetsHasOneHeaderAndPassesPromtool) {
  Family producer{"kafka_client_broker_rtt_seconds",
                  "RTT.",
                  MetricType::kGauge,
                  {"client_id", "broker"},
                  {sample({"probe-producer", "1"}, 0.002, 1)}};
  Family consumer = producer;
  consumer.samples = {sample({"probe-consumer", "1"}, 0.003, 1)};
  Family other{"kafka_brokers", "Brokers.", MetricType::kGauge, {}, {sample({}, 3, 1)}};
  std::vector<Family> first{producer, other};
  std::vector<Family> second{consumer};
  auto texts = render_slots({&first, &second}, 1, [](int32_t) { return size_t{0}; });
  EXPECT_EQ(texts[0],
            "# HELP kafka_client_broker_rtt_seconds RTT.\n"
            "# TYPE kafka_client_broker_rtt_seconds gauge\n"
            "kafka_client_broker_rtt_seconds{client_id=\"probe-producer\",broker=\"1\"} 0.002\n"
            "kafka_client_broker_rtt_seconds{client_id=\"probe-consumer\",broker=\"1\"} 0.003\n"
            "# HELP kafka_brokers Brokers.\n"
            "# TYPE kafka_brokers gauge\n"
            "kafka_brokers 3\n");
  char path[] = "/tmp/kse-render-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  { std::ofstream(path) << texts[0]; }
  const int status =
      std::system((std::string("promtool check metrics < ") + path + " >/dev/null 2>&1").c_str());
  std::remove(path);
  EXPECT_EQ(status, 0) << texts[0];
}

std::string inflate_all(const std::string& compressed, bool* one_member) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return "";
  std::string out(1 << 25, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = inflate(&stream, Z_FINISH);
  *one_member = result == Z_STREAM_END && stream.avail_in == 0;
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

TEST(RenderTest, GzipHeadAndTailMakeOneMemberOfTheWholeText) {
  std::string head_text;
  for (int i = 0; i < 20000; ++i) head_text += "kafka_x{i=\"" + std::to_string(i) + "\"} 1\n";
  const std::string tail_text = "kafka_probe_up{broker=\"1\"} 1\n";
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
           {head_text, tail_text}, {head_text, ""}, {"", tail_text}, {"", ""}}) {
    const GzipHead head = gzip_head(a);
    const std::string body = head.bytes + gzip_tail(head, b);
    bool one_member = false;
    EXPECT_EQ(inflate_all(body, &one_member), a + b);
    EXPECT_TRUE(one_member);
  }
  // The system's gzip agrees (it checks the CRC and length in the trailer).
  const GzipHead head = gzip_head(head_text);
  const std::string path = ::testing::TempDir() + "/page.gz";
  {
    std::ofstream file(path, std::ios::binary);
    file << head.bytes << gzip_tail(head, tail_text);
  }
  FILE* pipe = popen(("gzip -dc " + path + " | wc -c").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[64] = {};
  ASSERT_NE(fgets(buffer, sizeof buffer, pipe), nullptr);
  EXPECT_EQ(pclose(pipe), 0);
  EXPECT_EQ(std::stoul(buffer), head_text.size() + tail_text.size());
  EXPECT_EQ(system(("gzip -t " + path).c_str()), 0);
}

TEST(RenderTest, SlotsRenderedStraightIntoGzipExpandToTheirTexts) {
  // Pages of several megabytes in both owners' slots, so the text crosses many deflate chunks,
  // and an empty slot.
  Family offsets{"kafka_topic_partition_current_offset",
                 "Offsets \\ \"quoted\".",
                 MetricType::kGauge,
                 {"topic", "partition"},
                 {}};
  Family brokers{"kafka_brokers", "Brokers.", MetricType::kGauge, {}, {}};
  for (int i = 0; i < 100000; ++i) {
    offsets.samples.push_back({"",
                               {"topic-\"" + std::to_string(i % 7) + "\"", std::to_string(i)},
                               {},
                               i * 1.5,
                               i % 2 == 0 ? 1 : 2});
  }
  brokers.samples.push_back({"", {}, {}, 2, -1});
  const std::vector<Family> families{offsets, brokers};
  const auto slot_of = [](int32_t owner) -> size_t { return owner == -1 ? 0 : static_cast<size_t>(owner); };
  std::vector<size_t> series;
  const auto texts = render_slots({&families}, 4, slot_of, &series);
  const GzipSlots gzipped = render_slots_gzip({&families}, 4, slot_of);
  ASSERT_EQ(gzipped.gzip.size(), 4u);
  EXPECT_EQ(gzipped.series, series);
  EXPECT_GT(texts[1].size(), 2u << 20);
  const std::string tail_text = "kafka_probe_up{broker=\"1\"} 1\n";
  for (size_t slot = 0; slot < 4; ++slot) {
    const GzipHead& head = gzipped.gzip[slot];
    EXPECT_EQ(head.length, texts[slot].size()) << slot;
    bool one_member = false;
    EXPECT_EQ(inflate_all(head.bytes + gzip_tail(head, tail_text), &one_member), texts[slot] + tail_text)
        << slot;
    EXPECT_TRUE(one_member) << slot;
  }
}

TEST(RenderTest, APageKeptAsGzipOnlyExpandsToItsText) {
  std::string head_text;
  for (int i = 0; i < 20000; ++i) head_text += "kafka_x{i=\"" + std::to_string(i) + "\"} 1\n";
  const std::string tail_text = "kafka_probe_up{broker=\"1\"} 1\n";
  GzipHead head = gzip_head(head_text);
  RenderedPage page;
  page.gzip = gzip_tail(head, tail_text);
  page.text = tail_text;
  page.gzip_head = std::make_shared<const std::string>(head.bytes);
  EXPECT_EQ(page_text(page), head_text + tail_text);
  // A page without a head is its text.
  RenderedPage plain;
  plain.text = tail_text;
  EXPECT_EQ(page_text(plain), tail_text);
  // A cut body is refused, never served short.
  EXPECT_THROW(gunzip(std::string_view(head.bytes).substr(0, head.bytes.size() / 2)), std::runtime_error);
  EXPECT_THROW(gunzip("not gzip"), std::runtime_error);
}

TEST(RenderTest, GzipRoundTrips) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "kafka_x{i=\"" + std::to_string(i) + "\"} 1\n";
  const std::string compressed = gzip_compress(text);
  ASSERT_GT(compressed.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
  z_stream stream{};
  ASSERT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(text.size() + 16, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  EXPECT_EQ(out, text);
}

}  // namespace
}  // namespace kse::render
