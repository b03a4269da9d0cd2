// Rule engine cases mirroring jmx_exporter's JmxCollectorTest, on synthetic MBeans.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "jmx/rules/rule_engine.h"
#include "jmx/rules/rules.h"

namespace kse::jmx {
namespace {

using metrics::Family;

struct Bean {
  ObjectName name;
  std::string prefix;
  explicit Bean(const std::string& text) : name(parse_object_name(text)), prefix(name.match_prefix()) {}
  BeanRef ref() const { return {name.domain, &name.properties, prefix}; }
};

struct Input {
  std::string bean;
  std::vector<std::string> attr_keys;
  std::string attribute;
  JmxValue value;
  std::string description = "Attribute exposed for management";
};

// Series as "name{l1="v1",l2="v2"}" (labels in emitted order) -> value.
std::map<std::string, double> series(const std::vector<Family>& families) {
  std::map<std::string, double> out;
  for (const Family& f : families) {
    for (const auto& s : f.samples) {
      std::map<std::string, std::string> labels;
      for (size_t i = 0; i < f.label_names.size(); ++i) labels[f.label_names[i]] = s.label_values[i];
      for (const auto& l : s.extra_labels) labels[l.name] = l.value;
      std::string key = f.name + s.suffix + "{";
      bool first = true;
      for (const auto& [name, value] : labels) {
        key += (first ? "" : ",") + name + "=\"" + value + "\"";
        first = false;
      }
      out[key + "}"] = s.value;
    }
  }
  return out;
}

std::vector<Family> run(RuleEngine& engine, const std::vector<Input>& inputs) {
  engine.begin_cycle();
  for (const Input& in : inputs) {
    const Bean bean(in.bean);
    engine.record(bean.ref(), in.attr_keys, in.attribute, in.description, in.value);
  }
  return engine.finish_cycle(1);
}

std::map<std::string, double> collect(const std::string& yaml, const std::vector<Input>& inputs) {
  RuleEngine engine(RuleSet::load_text(yaml, "test.yml"));
  return series(run(engine, inputs));
}

const Family* find(const std::vector<Family>& families, const std::string& name) {
  for (const Family& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Input kCassandra{
    "org.apache.cassandra.metrics:type=Compaction,name=PendingTasks", {}, "Value", JmxValue::of_integer(42)};
const Input kHadoop{"hadoop:service=DataNode,name=DataNodeActivity-ams-hdd001-50010",
                    {},
                    "replaceBlockOpMinTime",
                    JmxValue::of_integer(200)};

TEST(RulesEngine, DefaultRuleExportsEverything) {
  const auto out = collect("", {kCassandra, kHadoop});
  EXPECT_EQ(out.at("org_apache_cassandra_metrics_Compaction_Value{name=\"PendingTasks\"}"), 42);
  EXPECT_EQ(out.at("hadoop_DataNode_replaceBlockOpMinTime{name=\"DataNodeActivity-ams-hdd001-50010\"}"), 200);
}

TEST(RulesEngine, DefaultRuleIsUntypedWithDescriptionAndBeanInHelp) {
  RuleEngine engine(RuleSet::load_text("---\n", "t"));
  const auto families = run(engine, {kCassandra});
  const Family* f = find(families, "org_apache_cassandra_metrics_Compaction_Value");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type, metrics::MetricType::kUntyped);
  EXPECT_EQ(f->help,
            "Attribute exposed for management "
            "org.apache.cassandra.metrics:name=PendingTasks,type=Compaction,attribute=Value");
}

TEST(RulesEngine, HelpOmitsDescriptionEqualToAttributeName) {
  RuleEngine engine(RuleSet::load_text("", "t"));
  Input in{"java.lang:type=Memory",
           {},
           "ObjectPendingFinalizationCount",
           JmxValue::of_integer(0),
           "ObjectPendingFinalizationCount"};
  const auto families = run(engine, {in});
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].help, "java.lang:name=null,type=Memory,attribute=ObjectPendingFinalizationCount");
}

TEST(RulesEngine, LowercaseOutputNameAndLabelNames) {
  const auto out = collect("lowercaseOutputName: true\nlowercaseOutputLabelNames: true\n",
                           {{"Foo:type=Bar,SomeLabel=X", {}, "Attr", JmxValue::of_integer(1)}});
  EXPECT_EQ(out.count("foo_bar_attr{somelabel=\"X\"}"), 1u);
}

TEST(RulesEngine, NameAndLabelsFromPatternGroups) {
  const auto out = collect(R"(
rules:
- pattern: '^hadoop<(service)=(DataNode), name=DataNodeActivity-ams-hdd001-50010><>(replaceBlockOpMinTime):'
  name: hadoop_$3
  labels:
    "$1": "$2"
)",
                           {kHadoop});
  EXPECT_EQ(out.at("hadoop_replaceBlockOpMinTime{service=\"DataNode\"}"), 200);
}

TEST(RulesEngine, NameAndLabelNamesAreSanitized) {
  const auto out = collect(R"(
rules:
- pattern: '^(hadoop<service=DataNode, )name=DataNodeActivity-ams-hdd001-50010><>replaceBlockOpMinTime:'
  name: $1
  labels:
    "$1": "aaa"
)",
                           {kHadoop});
  EXPECT_EQ(out.at("hadoop_service_DataNode_{hadoop_service_DataNode_=\"aaa\"}"), 200);
}

TEST(RulesEngine, EmptyLabelNamesAndValuesAreDropped) {
  const auto out = collect(R"(
rules:
- pattern: '^hadoop<service=DataNode, name=DataNodeActivity-ams-hdd001-50010><>replaceBlockOpMinTime:'
  name: foo
  labels:
    "": v
    l: ""
)",
                           {kHadoop});
  EXPECT_EQ(out.at("foo{}"), 200);
}

TEST(RulesEngine, FirstMatchingRuleWins) {
  const auto out = collect(R"(
rules:
- pattern: 'hadoop<service=DataNode'
  name: first
- pattern: 'hadoop<.*'
  name: second
)",
                           {kHadoop});
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out.count("first{}"), 1u);
}

TEST(RulesEngine, EmptyNameStopsWithoutLaterRules) {
  const auto out = collect(R"(
rules:
- pattern: 'hadoop<service=(x?)'
  name: $1
- pattern: '.*'
)",
                           {kHadoop});
  EXPECT_TRUE(out.empty());
}

TEST(RulesEngine, HelpFromPattern) {
  RuleEngine engine(RuleSet::load_text(R"(
rules:
- pattern: 'hadoop<service=(\w+)'
  name: foo
  help: bar $1
)",
                                       "t"));
  const auto families = run(engine, {kHadoop});
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].help, "bar DataNode");
}

TEST(RulesEngine, ValueStaticCaptureAndNonNumber) {
  EXPECT_EQ(
      collect("rules:\n- pattern: 'hadoop<.+-500(10)>'\n  name: foo\n  value: 1\n", {kHadoop}).at("foo{}"),
      1);
  EXPECT_EQ(
      collect("rules:\n- pattern: 'hadoop<.+-500(10)>'\n  name: foo\n  value: $1\n", {kHadoop}).at("foo{}"),
      10);
  EXPECT_EQ(
      collect("rules:\n- pattern: 'hadoop<.+-500(10)>'\n  name: foo\n  value: ''\n", {kHadoop}).at("foo{}"),
      200);
  EXPECT_TRUE(collect("rules:\n- pattern: 'hadoop<.+-500(10)>'\n  name: foo\n  value: a\n"
                      "- pattern: '.*'\n  name: bar\n",
                      {kHadoop})
                  .empty());
}

TEST(RulesEngine, ValueFactorScalesNumbersNotBooleans) {
  const std::string rules =
      "rules:\n- pattern: 'hadoop<'\n  name: foo_$1\n  valueFactor: 0.001\n"
      "- pattern: 'b<type=(\\w+)'\n  name: b_$1\n  valueFactor: 10\n";
  // "$1" does not exist in the first rule: refused at load time.
  EXPECT_THROW(RuleSet::load_text(rules, "t"), RulesError);
  const auto out = collect(
      "rules:\n- pattern: 'hadoop<'\n  name: foo\n  valueFactor: 0.001\n"
      "- pattern: 'b<type=(\\w+)'\n  name: b_$1\n  valueFactor: 10\n",
      {kHadoop, {"b:type=t", {}, "Flag", JmxValue::of_boolean(true)}});
  EXPECT_DOUBLE_EQ(out.at("foo{}"), 0.2);
  EXPECT_EQ(out.at("b_t{}"), 1);
}

TEST(RulesEngine, TypesGaugeCounterUntyped) {
  RuleEngine engine(RuleSet::load_text(R"(
rules:
- pattern: 'a<type=g'
  name: g
  type: GAUGE
- pattern: 'a<type=c'
  name: c_total
  type: COUNTER
- pattern: 'a<type=u'
  name: u
  type: UNTYPED
- pattern: 'a<type=d'
  name: d
)",
                                       "t"));
  const auto families = run(engine, {{"a:type=g", {}, "V", JmxValue::of_integer(1)},
                                     {"a:type=c", {}, "V", JmxValue::of_integer(2)},
                                     {"a:type=u", {}, "V", JmxValue::of_integer(3)},
                                     {"a:type=d", {}, "V", JmxValue::of_integer(4)}});
  EXPECT_EQ(find(families, "g")->type, metrics::MetricType::kGauge);
  EXPECT_EQ(find(families, "c_total")->type, metrics::MetricType::kCounter);
  EXPECT_EQ(find(families, "u")->type, metrics::MetricType::kUntyped);
  EXPECT_EQ(find(families, "d")->type, metrics::MetricType::kUntyped);
}

TEST(RulesEngine, SnakeCaseAttributeNames) {
  const auto out =
      collect(R"(
rules:
- pattern: 'java.lang<type=Memory><HeapMemoryUsage>committed'
  attrNameSnakeCase: true
- pattern: 'java.lang<type=Threading><>thread_count'
  attrNameSnakeCase: true
  name: threads
)",
              {{"java.lang:type=Memory", {"HeapMemoryUsage"}, "committed", JmxValue::of_integer(5)},
               {"java.lang:type=Threading", {}, "ThreadCount", JmxValue::of_integer(7)}});
  // Composite keys in the name keep their case; only the attribute itself is converted.
  EXPECT_EQ(out.at("java_lang_Memory_HeapMemoryUsage_committed{}"), 5);
  EXPECT_EQ(out.at("threads{}"), 7);
  EXPECT_EQ(snake_case("HeapMemoryUsage"), "heap_memory_usage");
  EXPECT_EQ(snake_case("ABCDef"), "abcdef");
  EXPECT_EQ(snake_case("fooBARBaz"), "foo_barbaz");
  EXPECT_EQ(snake_case("foo1Bar"), "foo1_bar");
}

TEST(RulesEngine, SafeNameLikeJmxExporter) {
  EXPECT_EQ(safe_name("a.b-c  d"), "a_b_c_d");
  EXPECT_EQ(safe_name("a__b"), "a_b");
  EXPECT_EQ(safe_name("1abc"), "_1abc");
  EXPECT_EQ(safe_name("ok:name"), "ok:name");
}

TEST(RulesEngine, CompositeAttributesFlattenIntoAttrKeys) {
  const auto out = collect(R"(
rules:
- pattern: 'java.lang<type=Memory><HeapMemoryUsage>(\w+)'
  name: heap_$1
)",
                           {{"java.lang:type=Memory", {"HeapMemoryUsage"}, "used", JmxValue::of_integer(9)}});
  EXPECT_EQ(out.at("heap_used{}"), 9);
}

TEST(RulesEngine, KafkaSeedStyleRules) {
  const std::string rules = R"(
lowercaseOutputName: true
lowercaseOutputLabelNames: true
rules:
  - pattern: kafka.(\w+)<type=(.+), name=(.+), topic=(.+), partition=(.+)><>Value
    name: kafka_$1_$2_$3
    type: GAUGE
    labels:
      topic: "$4"
      partition: "$5"
  - pattern: kafka.(\w+)<type=(.+), name=(.+), (.+)=(.+), (.+)=(.+)><>(Count|Value)
    name: kafka_$1_$2_$3
    labels:
      "$4": "$5"
      "$6": "$7"
  - pattern: kafka.(\w+)<type=(.+), name=(.+), (.+)=(.*), (.+)=(.+)><>(\d+)thPercentile
    name: kafka_$1_$2_$3
    type: GAUGE
    labels:
      "$4": "$5"
      "$6": "$7"
      quantile: "0.$8"
  - pattern: kafka.(\w+)<type=(.+), name=(.+)><>(Count|Value)
    name: kafka_$1_$2_$3
  - pattern: "kafka.server<type=socket-server-metrics, listener=(.+), networkProcessor=(.+)><>(.+):"
    name: kafka_server_socketservermetrics_$3
    type: GAUGE
    labels:
      listener: "$1"
      network_processor: "$2"
)";
  const auto out = collect(
      rules,
      {{"kafka.log:type=Log,name=Size,topic=position,partition=3", {}, "Value", JmxValue::of_integer(1234)},
       {"kafka.server:type=ReplicaManager,name=LeaderCount", {}, "Value", JmxValue::of_integer(7)},
       {"kafka.network:type=RequestMetrics,name=TotalTimeMs,request=Produce,error=NONE",
        {},
        "Count",
        JmxValue::of_integer(5)},
       {"kafka.network:type=RequestMetrics,name=TotalTimeMs,request=Produce,version=9",
        {},
        "99thPercentile",
        JmxValue::of_double(12.5)},
       {"kafka.server:type=socket-server-metrics,listener=PLAINTEXT,networkProcessor=1",
        {},
        "connection-count",
        JmxValue::of_double(3)},
       {"kafka.server:type=socket-server-metrics,listener=PLAINTEXT,networkProcessor=1",
        {},
        "io-wait-time-ns-avg",
        JmxValue::of_double(std::nan(""))}});
  EXPECT_EQ(out.at("kafka_log_log_size{partition=\"3\",topic=\"position\"}"), 1234);
  EXPECT_EQ(out.at("kafka_server_replicamanager_leadercount{}"), 7);
  EXPECT_EQ(out.at("kafka_network_requestmetrics_totaltimems{error=\"NONE\",request=\"Produce\"}"), 5);
  EXPECT_EQ(out.at("kafka_network_requestmetrics_totaltimems{quantile=\"0.99\",request=\"Produce\","
                   "version=\"9\"}"),
            12.5);
  EXPECT_EQ(out.at("kafka_server_socketservermetrics_connection_count{listener=\"PLAINTEXT\","
                   "network_processor=\"1\"}"),
            3);
  EXPECT_TRUE(
      std::isnan(out.at("kafka_server_socketservermetrics_io_wait_time_ns_avg{listener="
                        "\"PLAINTEXT\",network_processor=\"1\"}")));
}

TEST(RulesEngine, DifferentLabelNamesInOneFamilyUsePerSampleLabels) {
  RuleEngine engine(RuleSet::load_text(R"(
rules:
- pattern: 'k<type=(\w+), (\w+)=(\w+)><>Value'
  name: k_$1
  labels:
    "$2": "$3"
)",
                                       "t"));
  const auto families = run(engine, {{"k:type=A,x=1", {}, "Value", JmxValue::of_integer(1)},
                                     {"k:type=A,y=2", {}, "Value", JmxValue::of_integer(2)}});
  ASSERT_EQ(families.size(), 1u);
  EXPECT_TRUE(families[0].label_names.empty());
  ASSERT_EQ(families[0].samples.size(), 2u);
  EXPECT_EQ(families[0].samples[1].extra_labels.at(0).name, "y");
}

TEST(RulesEngine, DuplicateSeriesKeepTheFirst) {
  const auto out = collect(
      "rules:\n- pattern: 'k<type=(\\w+)'\n  name: same\n",
      {{"k:type=A", {}, "V", JmxValue::of_integer(1)}, {"k:type=B", {}, "V", JmxValue::of_integer(2)}});
  EXPECT_EQ(out.at("same{}"), 1);
}

TEST(RulesEngine, PatternsMatchingTheValueSeeJavaStrings) {
  const std::string rules = R"(
rules:
- pattern: 'k<type=A><>V: (\d+)\.0$'
  name: double_$1
- pattern: 'k<type=A><>V: (\d+)$'
  name: long_$1
- pattern: 'k<type=A><>V: (true|false)'
  name: bool_$1
)";
  EXPECT_EQ(collect(rules, {{"k:type=A", {}, "V", JmxValue::of_double(5)}}).count("double_5{}"), 1u);
  EXPECT_EQ(collect(rules, {{"k:type=A", {}, "V", JmxValue::of_integer(5)}}).count("long_5{}"), 1u);
  EXPECT_EQ(collect(rules, {{"k:type=A", {}, "V", JmxValue::of_boolean(true)}}).count("bool_true{}"), 1u);
  EXPECT_EQ(java_double_string(1e7), "1.0E7");
  EXPECT_EQ(java_double_string(1234567.5), "1234567.5");
  EXPECT_EQ(java_double_string(0.001), "0.001");
  EXPECT_EQ(java_double_string(0.0001), "1.0E-4");
  EXPECT_EQ(java_double_string(-2.5e-7), "-2.5E-7");
  EXPECT_EQ(java_double_string(100), "100.0");
}

TEST(RulesEngine, StringValuesNeedAValueTemplate) {
  const auto out = collect(R"(
rules:
- pattern: 'k<type=A><>Version: (\d+)\.(\d+)'
  name: version_info
  value: 1
  labels:
    major: $1
- pattern: 'k<type=A><>Other'
  name: other
)",
                           {{"k:type=A", {}, "Version", JmxValue::of_string("3.9")},
                            {"k:type=A", {}, "Other", JmxValue::of_string("x")}});
  EXPECT_EQ(out.at("version_info{major=\"3\"}"), 1);
  EXPECT_EQ(out.count("other{}"), 0u);
}

TEST(RulesEngine, CachedBeansCountLikeStalenessTracker) {
  const std::string rules = R"(
rules:
- pattern: 'k<type=A'
  name: a
  cache: true
- pattern: 'k<type=B'
  name: b
  cache: true
- pattern: 'k<type=C'
  name: c
)";
  RuleEngine engine(RuleSet::load_text(rules, "t"));
  const std::vector<Input> inputs = {{"k:type=A", {}, "V", JmxValue::of_integer(1)},
                                     {"k:type=B", {}, "V", JmxValue::of_integer(2)},
                                     {"k:type=C", {}, "V", JmxValue::of_integer(3)}};
  for (int cycle = 0; cycle < 2; ++cycle) {
    const auto out = series(run(engine, inputs));
    EXPECT_EQ(out.size(), 3u);
    // A: rule 0; B: rules 0 and 1; C: rules 0 and 1 (both cached, unmatched).
    EXPECT_EQ(engine.cached_beans(), 5u);
  }
  EXPECT_EQ(engine.cache_hits(), 3u);
}

TEST(RulesEngine, CacheForgetsBeansThatDisappear) {
  RuleEngine engine(RuleSet::load_text("rules:\n- pattern: 'k<type=(\\w+)'\n  name: k_$1\n", "t"));
  run(engine,
      {{"k:type=A", {}, "V", JmxValue::of_integer(1)}, {"k:type=B", {}, "V", JmxValue::of_integer(1)}});
  EXPECT_EQ(engine.cache_entries(), 2u);
  const auto out = series(run(engine, {{"k:type=A", {}, "V", JmxValue::of_integer(1)}}));
  EXPECT_EQ(engine.cache_entries(), 1u);
  EXPECT_EQ(out.count("k_B{}"), 0u);
}

// Reusing match results must never change the output, whatever the rules look at.
TEST(RulesEngine, ReusedMatchesEqualFreshMatchingOverChangingValues) {
  const std::string rules = R"(
lowercaseOutputName: true
rules:
- pattern: 'k<type=(\w+), name=(\w+)><>Value: (\d+)\.5'
  name: half_$1
- pattern: 'k<type=(\w+), name=(\w+)><>(.+)'
  name: greedy_$1
  labels:
    rest: $3
- pattern: 'k<type=(\w+), name=(\w+)><>Count'
  name: count_$1_$2
  type: COUNTER
- pattern: '(\d)\d*$'
  name: digit_$1
- pattern: 'k<type=(\w+), name=(\w+)><(\w+)>(\w+)'
  name: comp_$3_$4
  cache: true
- pattern: 'k<type=Z'
  value: '7'
  name: z
)";
  auto set = RuleSet::load_text(rules, "t");
  RuleEngine cached(set, true);
  RuleEngine fresh(set, false);
  std::mt19937 random(42);
  for (int cycle = 0; cycle < 30; ++cycle) {
    std::vector<Input> inputs;
    for (int b = 0; b < 6; ++b) {
      const std::string bean = "k:type=" + std::string(1, "ABCXYZ"[b]) + ",name=n" + std::to_string(b);
      const double v = static_cast<double>(random() % 1000) / 2.0;
      inputs.push_back({bean, {}, "Value", JmxValue::of_double(v)});
      inputs.push_back({bean, {}, "Count", JmxValue::of_integer(static_cast<double>(random() % 100))});
      inputs.push_back({bean, {"Usage"}, "used", JmxValue::of_integer(static_cast<double>(random() % 7))});
      inputs.push_back({bean, {}, "Flag", JmxValue::of_boolean(random() % 2 == 0)});
    }
    EXPECT_EQ(series(run(cached, inputs)), series(run(fresh, inputs))) << "cycle " << cycle;
    EXPECT_EQ(cached.cached_beans(), fresh.cached_beans()) << "cycle " << cycle;
  }
  EXPECT_GT(cached.cache_hits(), 0u);
}

}  // namespace
}  // namespace kse::jmx
