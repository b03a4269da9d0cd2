#include "app/page_plan.h"

#include <gtest/gtest.h>

namespace kse::app {
namespace {

TEST(PagePlanTest, ClusterPageFirstThenBrokersAndEachOwnerOnItsOwnPage) {
  PortPlan ports;
  ports.cluster_port = 9308;
  ports.broker_ports = {{1, 7071}, {2, 7072}, {3, 7073}};
  const PagePlan pages = plan_pages(ports, {9308, 7071, 7072, 7073});
  EXPECT_EQ(pages.ports, (std::vector<int>{9308, 7071, 7072, 7073}));
  EXPECT_EQ(pages.slot_of(-1), 0u);
  EXPECT_EQ(pages.slot_of(2), 2u);
  // A broker with no page (not known, say a configured JMX URL of a broker to come) is not
  // served at all, never on the cluster page.
  EXPECT_EQ(pages.slot_of(4), PagePlan::kNotServed);
}

TEST(PagePlanTest, SinglePortPutsEveryOwnerOnTheClusterPage) {
  config::ServeConfig serve;
  serve.single_port = true;
  const PagePlan pages = plan_pages(plan_ports(serve, {1, 2}, {1, 2}), {9308});
  EXPECT_EQ(pages.ports, (std::vector<int>{9308}));
  EXPECT_EQ(pages.slot_of(-1), 0u);
  EXPECT_EQ(pages.slot_of(1), 0u);
  EXPECT_EQ(pages.slot_of(7), 0u);
}

TEST(PagePlanTest, APortThatDidNotOpenHasNoPage) {
  PortPlan ports;
  ports.cluster_port = 9308;
  ports.broker_ports = {{1, 7071}, {2, 7072}};
  const PagePlan pages = plan_pages(ports, {7071, 7072});
  EXPECT_EQ(pages.ports, (std::vector<int>{7071, 7072}));
  EXPECT_EQ(pages.slot_of(-1), PagePlan::kNotServed);
  EXPECT_EQ(pages.slot_of(1), 0u);
}

TEST(PagePlanTest, ASidecarServesItsBrokerAndTheClusterPortOnlyWhenItHasIt) {
  PortPlan ports;
  ports.broker_ports = {{2, 7071}};
  ports.exporter_owner = 2;
  const PagePlan pages = plan_pages(ports, {7071});
  EXPECT_EQ(pages.slot_of(2), 0u);
  EXPECT_EQ(pages.slot_of(1), PagePlan::kNotServed);
  EXPECT_EQ(pages.slot_of(-1), PagePlan::kNotServed);
}

}  // namespace
}  // namespace kse::app
