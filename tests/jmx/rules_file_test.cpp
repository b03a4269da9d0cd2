// Loading jmx_exporter rules files: keys, defaults, object name filters, one-line errors.
#include <gtest/gtest.h>

#include <fstream>

#include "jmx/rules/java_regex.h"
#include "jmx/rules/rules.h"
#include "support/test_support.h"

namespace kse::jmx {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    RuleSet::load_text(yaml, "broker.yml");
  } catch (const RulesError& error) {
    return error.what();
  }
  return "no error";
}

TEST(RulesFile, ErrorsNameFileLineRuleIndexAndKey) {
  EXPECT_EQ(error_of("rules:\n- pattern: a\n  name: b\n- pattern: c\n  name: d\n  type: GAGE\n"),
            "broker.yml:6: rules[1].type: found 'GAGE', allowed GAUGE, COUNTER, UNTYPED");
  EXPECT_EQ(error_of("rules:\n- pattern: a\n  help: h\n"),
            "broker.yml:2: rules[0].name: missing: a rule with help or labels must have a name");
  EXPECT_EQ(error_of("rules:\n- name: x\n"),
            "broker.yml:2: rules[0].pattern: missing: a rule with a name must have a pattern");
  EXPECT_EQ(error_of("rules:\n- pattern: a\n  name: x\n  lables: {a: b}\n"),
            "broker.yml:4: rules[0].lables: unknown key, allowed pattern, name, value, valueFactor, "
            "help, type, labels, attrNameSnakeCase, cache");
  EXPECT_NE(error_of("rules:\n- pattern: 'a(b'\n  name: x\n")
                .find("broker.yml:2: rules[0].pattern: invalid regular expression 'a(b'"),
            std::string::npos);
  EXPECT_NE(error_of("rules:\n- pattern: 'a(b)'\n  name: x_$2\n").find("rules[0].name: no group 2"),
            std::string::npos);
  EXPECT_EQ(error_of("lowercaseOutputName: maybe\n"),
            "broker.yml:1: lowercaseOutputName: found 'maybe', allowed true or false");
  EXPECT_EQ(error_of("includeObjectNames: ['kafka.server']\n"),
            "broker.yml:1: includeObjectNames[0]: object name pattern 'kafka.server' has no ':'");
  EXPECT_NE(error_of("rules: [\n").find("broker.yml:"), std::string::npos);
  EXPECT_EQ(error_of("rules:\n- pattern: a\n  name: x\n  valueFactor: abc\n"),
            "broker.yml:4: rules[0].valueFactor: found 'abc', allowed a number");
}

TEST(RulesFile, MissingFileSaysSo) {
  try {
    RuleSet::load_file("/nonexistent/rules.yml");
    FAIL();
  } catch (const RulesError& error) {
    EXPECT_EQ(std::string(error.what()), "/nonexistent/rules.yml: cannot read the JMX rules file");
  }
}

TEST(RulesFile, DefaultsAndLabelOrder) {
  const auto rules = RuleSet::load_text(R"(
rules:
- pattern: 'k<type=(\w+)'
  name: k
  valueFactor: 0.5
  attrNameSnakeCase: true
  cache: true
  labels:
    zeta: a
    alpha: b
    "$1": c
)",
                                        "t");
  ASSERT_EQ(rules->rules.size(), 1u);
  const Rule& rule = rules->rules[0];
  EXPECT_EQ(rule.type, RuleType::kUntyped);
  EXPECT_DOUBLE_EQ(rule.value_factor, 0.5);
  EXPECT_TRUE(rule.attr_name_snake_case);
  EXPECT_TRUE(rule.cache);
  ASSERT_EQ(rule.labels.size(), 3u);
  EXPECT_EQ(rule.labels[0].first, "$1");
  EXPECT_EQ(rule.labels[1].first, "alpha");
  EXPECT_EQ(RuleSet::load_text("", "t")->rules.size(), 1u);
  EXPECT_FALSE(RuleSet::load_text("", "t")->rules[0].pattern);
}

TEST(RulesFile, IncludeExcludeAndTheirOldNames) {
  const auto rules = RuleSet::load_text(R"(
whitelistObjectNames: ["java.lang:*"]
blacklistObjectNames: ["java.lang:type=Memory", "java.lang:type=GarbageCollector,*"]
)",
                                        "t");
  EXPECT_TRUE(rules->object_wanted(parse_object_name("java.lang:type=Threading")));
  EXPECT_FALSE(rules->object_wanted(parse_object_name("java.lang:type=Memory")));
  EXPECT_FALSE(
      rules->object_wanted(parse_object_name("java.lang:type=GarbageCollector,name=G1 Young Generation")));
  EXPECT_FALSE(rules->object_wanted(parse_object_name("kafka.server:type=X")));
  // The new names win over the old ones.
  const auto both = RuleSet::load_text("includeObjectNames: ['a:*']\nwhitelistObjectNames: ['b:*']\n", "t");
  EXPECT_TRUE(both->object_wanted(parse_object_name("a:type=x")));
  EXPECT_FALSE(both->object_wanted(parse_object_name("b:type=x")));
}

TEST(RulesFile, ExcludeObjectNameAttributes) {
  const auto rules = RuleSet::load_text(R"(
excludeObjectNameAttributes:
  "java.lang:type=OperatingSystem": [ObjectName, SystemLoadAverage]
)",
                                        "t");
  EXPECT_TRUE(
      rules->attribute_excluded(parse_object_name("java.lang:type=OperatingSystem"), "SystemLoadAverage"));
  EXPECT_FALSE(
      rules->attribute_excluded(parse_object_name("java.lang:type=OperatingSystem"), "ProcessCpuTime"));
}

TEST(RulesFile, DomainsTheRulesCanMatch) {
  const auto seedish = RuleSet::load_text(R"(
rules:
- pattern: kafka.(\w+)<type=(.+), name=(.+)><>Value
- pattern: kafka.coordinator.(\w+)<type=(.+), name=(.+)><>(Count|Value)
- pattern: "kafka.server<type=socket-server-metrics, listener=(.+)><>(.+):"
)",
                                          "t");
  EXPECT_TRUE(seedish->domain_wanted("kafka.server"));
  EXPECT_TRUE(seedish->domain_wanted("kafka.coordinator.group"));
  EXPECT_FALSE(seedish->domain_wanted("java.lang"));
  EXPECT_FALSE(seedish->domain_wanted("JMImplementation"));
  const auto open = RuleSet::load_text("rules:\n- pattern: '.*<type=Memory'\n", "t");
  EXPECT_TRUE(open->domain_wanted("java.lang"));
  EXPECT_TRUE(RuleSet::load_text("", "t")->domain_wanted("anything"));
}

TEST(RulesFile, SeedRulesFileLoads) {
  const std::string path = test::source_dir() + "/../shared/seed-assets/kafka_broker.yml";
  if (!std::ifstream(path)) GTEST_SKIP() << "seed assets absent: " << path;
  const auto rules = RuleSet::load_file(path);
  EXPECT_TRUE(rules->lowercase_output_name);
  EXPECT_GT(rules->rules.size(), 20u);
  EXPECT_EQ(rules->exclude.size(), 10u);
}

TEST(RulesFile, OurDefaultRulesFileLoads) {
  const auto rules = RuleSet::load_file(test::source_dir() + "/exporter/kafka-broker-rules.yml");
  EXPECT_GT(rules->rules.size(), 10u);
  EXPECT_FALSE(rules->domain_wanted("JMImplementation"));
}

TEST(JavaRegex, JavaReplacementSemantics) {
  const JavaRegex regex("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)?");
  Captures captures;
  ASSERT_TRUE(regex.matches("abcdefghij", &captures));
  EXPECT_EQ(java_replace(regex, "abcdefghij", captures, "$1-$10-$11-$12"), "a-j--a2");
  EXPECT_EQ(java_replace(regex, "abcdefghij", captures, "\\$1 costs \\\\"), "$1 costs \\");
  EXPECT_TRUE(check_replacement(regex, "$").has_value());
  EXPECT_TRUE(check_replacement(regex, "$x").has_value());
  const JavaRegex named("(?<word>\\w+)");
  ASSERT_TRUE(named.matches("hello", &captures));
  // The leading greedy ".*" leaves the group only the last character, as in Java.
  EXPECT_EQ(java_replace(named, "hello", captures, "${word}!"), "o!");
}

TEST(JavaRegex, JavaOnlySyntaxIsTranslated) {
  EXPECT_TRUE(JavaRegex("\\u0041\\p{Lower}+").matches("Abc", nullptr));
  EXPECT_FALSE(JavaRegex("^\\p{Lower}+$").matches("ABC", nullptr));
  EXPECT_THROW(JavaRegex("[a-z&&[^e]]"), RegexError);
  // Java's '.' stops at line terminators, and matches() must cover the whole input.
  EXPECT_FALSE(JavaRegex("a.b").matches("a\nb", nullptr));
  EXPECT_FALSE(JavaRegex("ab").matches("ab\n", nullptr));
}

TEST(JavaRegex, RightmostMatchLikeGreedyPrefix) {
  const JavaRegex regex("([a-c])=");
  Captures captures;
  ASSERT_TRUE(regex.matches("a=b=c", &captures));
  EXPECT_EQ(captures.group("a=b=c", 1), "b");
  ASSERT_EQ(regex.probe_prefix("a=b=c: ", "0123456789", &captures), JavaRegex::Probe::kMatch);
  EXPECT_EQ(captures.group("a=b=c: ", 1), "b");
  EXPECT_EQ(JavaRegex("c: (\\d+)").probe_prefix("a=b=c: ", "0123456789", &captures),
            JavaRegex::Probe::kDependsOnSuffix);
  EXPECT_EQ(JavaRegex("zzz").probe_prefix("a=b=c: ", "0123456789", &captures), JavaRegex::Probe::kNoMatch);
}

}  // namespace
}  // namespace kse::jmx
