#include "app/port_plan.h"

#include <gtest/gtest.h>

namespace kse::app {
namespace {

TEST(PortPlanTest, AllBrokersAndTheClusterPortByDefault) {
  config::ServeConfig serve;
  PortPlan plan = plan_ports(serve, {3, 1, 2}, {1, 2, 3});
  EXPECT_EQ(plan.broker_ports, (std::map<int32_t, int>{{1, 7071}, {2, 7072}, {3, 7073}}));
  EXPECT_EQ(plan.cluster_port, 9308);
  EXPECT_EQ(plan.exporter_owner, -1);
}

TEST(PortPlanTest, SinglePortOpensOnlyTheClusterPort) {
  config::ServeConfig serve;
  serve.single_port = true;
  serve.cluster_port = 18308;
  PortPlan plan = plan_ports(serve, {1, 2, 3}, {1, 2, 3});
  EXPECT_TRUE(plan.broker_ports.empty());
  EXPECT_EQ(plan.cluster_port, 18308);
  EXPECT_TRUE(plan.single_port);
}

TEST(PortPlanTest, ExplicitPortsWinOthersFollowTheirId) {
  config::ServeConfig serve;
  serve.broker_ports = {{1, 8001}};
  PortPlan plan = plan_ports(serve, {1, 2, 3, 4}, {1, 2, 3, 4});
  EXPECT_EQ(plan.broker_ports, (std::map<int32_t, int>{{1, 8001}, {2, 7072}, {3, 7073}, {4, 7074}}));
}

TEST(PortPlanTest, ABrokerThatLeftKeepsItsPort) {
  config::ServeConfig serve;
  PortPlan plan = plan_ports(serve, {1, 2, 3}, {1, 3});
  EXPECT_EQ(plan.broker_ports.at(2), 7072);
}

TEST(PortPlanTest, APortDependsOnTheBrokerIdNotOnWhichBrokersAreKnown) {
  config::ServeConfig serve;
  // Started while broker 1 is down: 7071 stays broker 1's, as prometheus.yml says.
  PortPlan first = plan_ports(serve, {2, 3}, {2, 3});
  EXPECT_EQ(first.broker_ports, (std::map<int32_t, int>{{2, 7072}, {3, 7073}}));
  PortPlan later = plan_ports(serve, {1, 2, 3, 4}, {1, 2, 3, 4});
  EXPECT_EQ(later.broker_ports, (std::map<int32_t, int>{{1, 7071}, {2, 7072}, {3, 7073}, {4, 7074}}));
  // Broker ids from 0 (Strimzi, many charts) sit just below the base.
  EXPECT_EQ(plan_ports(serve, {0}, {0}).broker_ports, (std::map<int32_t, int>{{0, 7070}}));
}

TEST(PortPlanTest, APortThatIsTakenOrInvalidIsNotServed) {
  config::ServeConfig serve;
  serve.broker_port_base = 9307;
  serve.broker_ports = {{5, 9309}};
  PortPlan plan = plan_ports(serve, {1, 2, 3, 5, 60000}, {1, 2, 3, 5});
  EXPECT_EQ(plan.broker_ports.at(1), 9307);
  EXPECT_EQ(plan.broker_ports.at(5), 9309);
  EXPECT_FALSE(plan.broker_ports.count(2));      // 9308 is the cluster port
  EXPECT_FALSE(plan.broker_ports.count(3));      // 9309 is broker 5's
  EXPECT_FALSE(plan.broker_ports.count(60000));  // beyond 65535
  EXPECT_EQ(plan.unserved, (std::map<int32_t, int64_t>{{2, 9308}, {3, 9309}, {60000, 69306}}));
}

TEST(PortPlanTest, SidecarServesItsPortAndTheClusterPortOnlyWhenLowestLive) {
  config::ServeConfig serve;
  serve.broker_id = 2;
  serve.broker_ports = {{2, 7072}};
  PortPlan plan = plan_ports(serve, {1, 2, 3}, {1, 2, 3});
  EXPECT_EQ(plan.broker_ports, (std::map<int32_t, int>{{2, 7072}}));
  EXPECT_FALSE(plan.cluster_port.has_value());
  EXPECT_EQ(plan.exporter_owner, 2);
  // Broker 1 is gone: broker 2 is now the lowest live id and takes the cluster port.
  plan = plan_ports(serve, {1, 2, 3}, {2, 3});
  EXPECT_EQ(plan.cluster_port, 9308);
}

TEST(PortPlanTest, SidecarPortDoesNotDependOnOtherBrokers) {
  config::ServeConfig serve;
  serve.broker_id = 5;
  PortPlan plan = plan_ports(serve, {}, {});
  EXPECT_EQ(plan.broker_ports, (std::map<int32_t, int>{{5, 7071}}));
  EXPECT_FALSE(plan.cluster_port.has_value());
  plan = plan_ports(serve, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5});
  EXPECT_EQ(plan.broker_ports, (std::map<int32_t, int>{{5, 7071}}));
}

std::vector<model::BrokerInfo> brokers(std::vector<std::pair<int32_t, bool>> ids) {
  std::vector<model::BrokerInfo> out;
  for (const auto& [id, registered] : ids) {
    model::BrokerInfo broker;
    broker.id = id;
    broker.registered = registered;
    out.push_back(broker);
  }
  return out;
}

TEST(PortRolesTest, ABrokerSeenOnceKeepsItsPortAfterItLeaves) {
  config::ServeConfig serve;
  PortRoles roles(serve);
  roles.next(brokers({{1, true}, {2, true}, {3, true}}), true, {});
  const PortPlan plan = roles.next(brokers({{1, true}, {3, true}}), true, {});
  EXPECT_EQ(plan.broker_ports, (std::map<int32_t, int>{{1, 7071}, {2, 7072}, {3, 7073}}));
  EXPECT_EQ(roles.live_count(), 2u);
}

TEST(PortRolesTest, ACycleWithoutMetadataMovesNoRole) {
  config::ServeConfig serve;
  serve.broker_id = 1;
  PortRoles roles(serve);
  EXPECT_EQ(roles.next(brokers({{1, true}, {2, true}}), true, {}).cluster_port, 9308);
  // The metadata read failed: no broker list, yet broker 1's sidecar keeps the cluster port.
  EXPECT_EQ(roles.next({}, false, {}).cluster_port, 9308);
  EXPECT_EQ(roles.live_count(), 2u);
}

TEST(PortRolesTest, TheClusterPortPassesOverSilentAndFencedLowerSidecars) {
  config::ServeConfig serve;
  serve.broker_id = 2;
  PortRoles roles(serve);
  EXPECT_FALSE(roles.next(brokers({{1, true}, {2, true}}), true, {}).cluster_port);
  EXPECT_EQ(roles.next(brokers({{1, true}, {2, true}}), true, {1}).cluster_port, 9308);
  // A broker that is not registered (fenced, or gone) is not live.
  EXPECT_EQ(roles.next(brokers({{1, false}, {2, true}}), true, {}).cluster_port, 9308);
}

}  // namespace
}  // namespace kse::app
