#!/bin/sh
# Kafka's command-line tools from /opt/kafka/libs, each under its usual script name
# (kafka-topics.sh, ... are links to this file); kafka-run-class.sh MAIN_CLASS ARGS... runs
# any class. A small quick JVM, warnings on stderr; KAFKA_OPTS is the broker's and is not
# used (its agents would bind the broker's ports again), KAFKA_TOOL_OPTS adds JVM options.
set -eu
tools='
kafka-topics org.apache.kafka.tools.TopicCommand
kafka-get-offsets org.apache.kafka.tools.GetOffsetShell
kafka-broker-api-versions org.apache.kafka.tools.BrokerApiVersionsCommand
kafka-consumer-groups org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
kafka-configs org.apache.kafka.tools.ConfigCommand
kafka-console-producer org.apache.kafka.tools.ConsoleProducer
kafka-console-consumer org.apache.kafka.tools.consumer.ConsoleConsumer
kafka-metadata-quorum org.apache.kafka.tools.MetadataQuorumCommand
kafka-log-dirs org.apache.kafka.tools.LogDirsCommand
kafka-transactions org.apache.kafka.tools.TransactionsCommand
kafka-producer-perf-test org.apache.kafka.tools.ProducerPerformance
kafka-consumer-perf-test org.apache.kafka.tools.ConsumerPerformance
kafka-features org.apache.kafka.tools.FeatureCommand
kafka-storage kafka.tools.StorageTool
kafka-run-class -
'
name=$(basename "$0" .sh)
if [ "${1:-}" = --list ]; then
  echo "$tools" | awk 'NF {print $1}'
  exit 0
fi
if [ "$name" = kafka-tool ]; then
  [ $# -ge 1 ] || { echo "usage: kafka-tool.sh TOOL ARGS... (tools: kafka-tool.sh --list)" >&2; exit 2; }
  name=$(basename "$1" .sh)
  shift
fi
main=$(echo "$tools" | awk -v t="$name" '$1 == t {print $2}')
[ -n "$main" ] || { echo "kafka-tool.sh: unknown tool '$name'" >&2; exit 2; }
if [ "$main" = - ]; then
  [ $# -ge 1 ] || { echo "usage: kafka-run-class.sh MAIN_CLASS ARGS..." >&2; exit 2; }
  main=$1
  shift
fi
# shellcheck disable=SC2086
exec java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties -Dkse.log.level=WARN -Dkse.log.target=SYSTEM_ERR \
  ${KAFKA_TOOL_OPTS:-} -cp '/opt/kafka/libs/*' "$main" "$@"
