#!/bin/bash
# Starts one Kafka node from the environment, as apache/kafka does: every KAFKA_* variable
# but the JVM's (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS) is a broker
# setting: KAFKA_ dropped, lower case, '___' -> '-', '__' -> '_', '_' -> '.'
# (KAFKA_NODE_ID -> node.id). They override a single-node KRaft default (node 1, broker and
# controller, PLAINTEXT localhost:9092, CONTROLLER 9093). The log directory is formatted with
# CLUSTER_ID the first time. Arguments other than options are run instead (a shell, a tool).
set -euo pipefail
if [[ $# -gt 0 && $1 != -* ]]; then
  exec "$@"
fi

config=/opt/kafka/config/server.properties
{
  cat <<'DEFAULTS'
node.id=1
process.roles=broker,controller
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
controller.quorum.voters=1@localhost:9093
log.dirs=/var/lib/kafka/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
DEFAULTS
  while IFS='=' read -r -d '' name value; do
    case $name in
      KAFKA_HEAP_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_OPTS | KAFKA_TOOL_OPTS | KAFKA_VERSION) continue ;;
      KAFKA_*) ;;
      *) continue ;;
    esac
    key=${name#KAFKA_}
    key=${key,,}
    key=${key//___/-}
    key=${key//__/@}
    key=${key//_/.}
    key=${key//@/_}
    printf '%s=%s\n' "$key" "$value"
  done < <(env -0)
} >"$config"

# With controller.quorum.voters the quorum is static: format once, keep the data after.
log_dirs=$(sed -n 's/^log\.dirs=//p' "$config" | tail -1)
first_dir=${log_dirs%%,*}
if [[ ! -e $first_dir/meta.properties ]]; then
  /opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$config" >&2
fi

# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xms512m -Xmx512m} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -Djava.awt.headless=true} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties ${KAFKA_OPTS:-} \
  -cp '/opt/kafka/libs/*' kafka.Kafka "$config" "$@"
