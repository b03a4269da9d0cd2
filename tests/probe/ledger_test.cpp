#include "probe/ledger.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace kse::probe {
namespace {

using std::chrono::milliseconds;

const metrics::Family* find(const std::vector<metrics::Family>& families, const std::string& name) {
  auto it = std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.name == name; });
  return it == families.end() ? nullptr : &*it;
}

double value(const std::vector<metrics::Family>& families, const std::string& name, int32_t broker,
             const std::string& suffix = "") {
  const auto* family = find(families, name);
  if (family == nullptr) return -1;
  for (const auto& sample : family->samples) {
    if (sample.owner == broker && sample.suffix == suffix && sample.extra_labels.empty()) return sample.value;
  }
  return -1;
}

class LedgerTest : public ::testing::Test {
 protected:
  ProbeLedger ledger{milliseconds(1000), milliseconds(10000)};
  Clock::time_point t0 = Clock::now();
};

TEST_F(LedgerTest, RoundTripIsTimedAndAttributedToTheLeader) {
  const auto sequence = ledger.sent(0, 2, t0);
  ledger.acknowledged(0, sequence, t0 + milliseconds(4));
  ledger.received(0, sequence, t0 + milliseconds(30), 1700000000.0);
  const auto families = ledger.families(t0 + milliseconds(40));
  EXPECT_EQ(value(families, "kafka_probe_up", 2), 1);
  EXPECT_EQ(value(families, "kafka_probe_messages_sent_total", 2), 1);
  EXPECT_EQ(value(families, "kafka_probe_messages_received_total", 2), 1);
  EXPECT_NEAR(value(families, "kafka_probe_end_to_end_latency_seconds", 2, "_sum"), 0.030, 1e-6);
  EXPECT_NEAR(value(families, "kafka_probe_produce_latency_seconds", 2, "_sum"), 0.004, 1e-6);
  EXPECT_EQ(value(families, "kafka_probe_last_success_timestamp_seconds", 2), 1700000000.0);
  EXPECT_EQ(ledger.outstanding(), 0u);
}

TEST_F(LedgerTest, TheAcknowledgingBrokerWinsOverTheGuessFromMetadata) {
  const auto s = ledger.sent(0, 3, t0);  // metadata still said 3 leads
  ledger.acknowledged(0, s, t0 + milliseconds(2), 1);
  ledger.received(0, s, t0 + milliseconds(5), 1.0);
  EXPECT_EQ(ledger.brokers().at(1).received, 1u);
  EXPECT_EQ(ledger.brokers().at(3).received, 0u);
  EXPECT_FALSE(ledger.up(3, t0 + milliseconds(6)));
}

TEST_F(LedgerTest, ConsumedBeforeItsAcknowledgementGoesToTheBrokerItWasFetchedFrom) {
  const auto s = ledger.sent(0, 3, t0);  // 3 has stopped; 1 leads now
  ledger.received(0, s, t0 + milliseconds(5), 1.0, 1);
  ledger.acknowledged(0, s, t0 + milliseconds(6), 1);
  EXPECT_EQ(ledger.brokers().at(1).received, 1u);
  EXPECT_EQ(ledger.brokers().count(3) ? ledger.brokers().at(3).received : 0u, 0u);
  EXPECT_TRUE(ledger.up(1, t0 + milliseconds(7)));
  EXPECT_FALSE(ledger.up(3, t0 + milliseconds(7)));
}

TEST_F(LedgerTest, HistogramBucketsAreCumulative) {
  for (int ms : {1, 3, 30, 3000}) {
    const auto s = ledger.sent(0, 1, t0);
    ledger.received(0, s, t0 + milliseconds(ms), 1.0);
  }
  const auto families = ledger.families(t0 + milliseconds(3000));
  const auto* family = find(families, "kafka_probe_end_to_end_latency_seconds");
  ASSERT_NE(family, nullptr);
  std::map<std::string, double> buckets;
  for (const auto& sample : family->samples) {
    if (sample.suffix == "_bucket") buckets[sample.extra_labels.at(0).value] = sample.value;
  }
  EXPECT_EQ(buckets.at("0.001"), 1);
  EXPECT_EQ(buckets.at("0.005"), 2);
  EXPECT_EQ(buckets.at("0.05"), 3);
  EXPECT_EQ(buckets.at("2.5"), 3);
  EXPECT_EQ(buckets.at("5"), 4);
  EXPECT_EQ(buckets.at("+Inf"), 4);
}

TEST_F(LedgerTest, BrokerGoesDownAfterTwoIntervalsWithoutSuccessAndItsLatenciesDisappear) {
  const auto s = ledger.sent(0, 3, t0);
  ledger.received(0, s, t0 + milliseconds(5), 1.0);
  EXPECT_TRUE(ledger.up(3, t0 + milliseconds(2000)));
  EXPECT_FALSE(ledger.up(3, t0 + milliseconds(2006)));
  const auto families = ledger.families(t0 + milliseconds(2500));
  EXPECT_EQ(value(families, "kafka_probe_up", 3), 0);
  EXPECT_EQ(value(families, "kafka_probe_end_to_end_latency_seconds", 3, "_count"), -1);
  EXPECT_EQ(value(families, "kafka_probe_messages_received_total", 3), 1);
}

TEST_F(LedgerTest, TrackedBrokerWithoutAnyMessageIsReportedDown) {
  ledger.track_broker(4);
  EXPECT_EQ(value(ledger.families(t0), "kafka_probe_up", 4), 0);
}

TEST_F(LedgerTest, AcknowledgedButNeverConsumedIsLostAfterTheTimeout) {
  const auto s = ledger.sent(1, 2, t0);
  ledger.acknowledged(1, s, t0 + milliseconds(2));
  ledger.expire(t0 + milliseconds(9000));
  EXPECT_EQ(ledger.brokers().at(2).lost, 0u);
  ledger.expire(t0 + milliseconds(10001));
  EXPECT_EQ(ledger.brokers().at(2).lost, 1u);
  // Arriving after being counted lost changes nothing.
  ledger.received(1, s, t0 + milliseconds(10002), 1.0);
  EXPECT_EQ(ledger.brokers().at(2).received, 0u);
}

TEST_F(LedgerTest, UnacknowledgedMessageIsNotLostButFailsThroughTheProducer) {
  const auto s = ledger.sent(1, 2, t0);
  ledger.expire(t0 + milliseconds(20000));
  EXPECT_EQ(ledger.brokers().at(2).lost, 0u);
  ledger.delivery_failed(1, s);
  EXPECT_EQ(ledger.brokers().at(2).produce_errors, 1u);
  EXPECT_EQ(ledger.outstanding(), 0u);
}

TEST_F(LedgerTest, DuplicatesAndOutOfOrderAreCounted) {
  const auto a = ledger.sent(0, 1, t0);
  const auto b = ledger.sent(0, 1, t0);
  ledger.received(0, b, t0 + milliseconds(3), 1.0);
  ledger.received(0, a, t0 + milliseconds(4), 1.0);  // older after newer
  ledger.received(0, b, t0 + milliseconds(5), 1.0);  // again
  const auto& broker = ledger.brokers().at(1);
  EXPECT_EQ(broker.received, 2u);
  EXPECT_EQ(broker.out_of_order, 1u);
  EXPECT_EQ(broker.duplicated, 1u);
}

TEST_F(LedgerTest, CommitLatencyGoesToTheCoordinator) {
  ledger.commit_finished(3, std::chrono::milliseconds(7), true);
  ledger.commit_finished(3, {}, false);
  ledger.commit_finished(-1, std::chrono::milliseconds(7), true);  // coordinator unknown: ignored
  const auto families = ledger.families(t0);
  EXPECT_NEAR(value(families, "kafka_probe_commit_latency_seconds", 3, "_sum"), 0.007, 1e-9);
  EXPECT_EQ(ledger.brokers().at(3).commit_errors, 1u);
  EXPECT_EQ(ledger.brokers().count(-1), 0u);
}

TEST_F(LedgerTest, PartitionsAreIndependent) {
  const auto a = ledger.sent(0, 1, t0);
  const auto b = ledger.sent(1, 2, t0);
  EXPECT_EQ(a, b);  // sequences are per partition
  ledger.received(1, b, t0 + milliseconds(1), 1.0);
  ledger.received(0, a, t0 + milliseconds(2), 1.0);
  EXPECT_EQ(ledger.brokers().at(1).out_of_order + ledger.brokers().at(2).out_of_order, 0u);
}

}  // namespace
}  // namespace kse::probe
