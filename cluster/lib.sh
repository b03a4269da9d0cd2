# Functions behind cluster/kafka-cluster and cluster/kafka-tool.
# shellcheck shell=bash

KAFKA_VERSION=3.9.1
JOLOKIA_VERSION=2.2.9
JMX_EXPORTER_VERSION=0.20.0
KSE_CACHE_DIR=${KSE_CACHE_DIR:-$HOME/.cache/kafka-sidecar-exporter}
KSE_CLUSTER_DIR=${KSE_CLUSTER_DIR:-/tmp/kse-cluster}
KAFKA_LIBS="$KSE_CACHE_DIR/kafka-$KAFKA_VERSION/libs"
AGENTS_DIR="$KSE_CACHE_DIR/agents"
JOLOKIA_JAR="$AGENTS_DIR/jolokia-agent-jvm-$JOLOKIA_VERSION-javaagent.jar"
JMX_EXPORTER_JAR="$AGENTS_DIR/jmx_prometheus_javaagent-$JMX_EXPORTER_VERSION.jar"
CLUSTER_HOST=127.0.0.1
CORE_BROKERS=(1 2 3)

die() { echo "kafka-cluster: $*" >&2; exit 1; }

client_port() { echo $((9092 + ($1 - 1) * 100)); }
controller_port() { echo $((9093 + ($1 - 1) * 100)); }
external_port() { echo $((9094 + ($1 - 1) * 100)); }
jolokia_port() { echo $((8777 + $1)); }
node_dir() { echo "$KSE_CLUSTER_DIR/broker-$1"; }
log_dir() { echo "$(node_dir "$1")/logs"; }
pid_file() { echo "$(node_dir "$1")/pid"; }

require_broker_arg() {
  [[ $# -ge 1 && "$1" =~ ^[0-9]+$ && "$1" -ge 1 && "$1" -le 9 ]] ||
    die "expected a broker id 1..9, got '${1:-}'"
}

# The fetch is done once; a stamp makes later runs offline and instant.
fetch_kafka() {
  local stamp="$KSE_CACHE_DIR/kafka-$KAFKA_VERSION/.complete"
  if [[ -f "$stamp" && -f "$JOLOKIA_JAR" && -f "$JMX_EXPORTER_JAR" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn is missing (scripts/install-deps installs it)"
  echo "kafka-cluster: fetching Kafka $KAFKA_VERSION and agents from Maven Central into $KSE_CACHE_DIR"
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  rm -rf "$KAFKA_LIBS.partial"
  mkdir -p "$KAFKA_LIBS.partial" "$AGENTS_DIR"
  timeout 900 mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS.partial" -DincludeScope=runtime ||
    die "could not fetch Kafka's jars with mvn"
  timeout 300 mvn -q -B dependency:copy -DoutputDirectory="$AGENTS_DIR" \
    -Dartifact="org.jolokia:jolokia-agent-jvm:$JOLOKIA_VERSION:jar:javaagent" ||
    die "could not fetch the Jolokia agent"
  timeout 300 mvn -q -B dependency:copy -DoutputDirectory="$AGENTS_DIR" \
    -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION" ||
    die "could not fetch the JMX exporter agent"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.partial" "$KAFKA_LIBS"
  touch "$stamp"
}

java_classpath() { echo "$KAFKA_LIBS/*"; }

# The command line of one of Kafka's Java entry points in a small, quiet JVM.
kafka_java_command() {
  JAVA_COMMAND=(java -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto
    -Dlog4j.configuration="file:$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools-log4j.properties"
    -cp "$(java_classpath)")
}

run_kafka_class() {
  kafka_java_command
  "${JAVA_COMMAND[@]}" "$@"
}

broker_pid() {
  local file
  file=$(pid_file "$1")
  [[ -f "$file" ]] || return 1
  local pid
  pid=$(cat "$file")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$CLUSTER_HOST/$1") 2>/dev/null; }

is_secure() { [[ -f "$KSE_CLUSTER_DIR/secure" ]]; }

write_broker_config() {
  local id=$1 roles=$2
  local dir
  dir=$(node_dir "$id")
  mkdir -p "$dir/data" "$(log_dir "$id")"
  local listeners="PLAINTEXT://$CLUSTER_HOST:$(client_port "$id")"
  local advertised="PLAINTEXT://$CLUSTER_HOST:$(client_port "$id")"
  local protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ "$roles" == *controller* ]]; then
    listeners+=",CONTROLLER://$CLUSTER_HOST:$(controller_port "$id")"
  fi
  if is_secure; then
    listeners+=",EXTERNAL://$CLUSTER_HOST:$(external_port "$id")"
    advertised+=",EXTERNAL://$CLUSTER_HOST:$(external_port "$id")"
    protocol_map+=",EXTERNAL:SASL_SSL"
  fi
  cat >"$dir/server.properties" <<EOF
process.roles=$roles
node.id=$id
controller.quorum.voters=1@$CLUSTER_HOST:9093,2@$CLUSTER_HOST:9193,3@$CLUSTER_HOST:9293
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocol_map
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=3
auto.create.topics.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.check.interval.ms=30000
EOF
  if is_secure; then
    local certs="$KSE_CLUSTER_DIR/certs"
    cat >>"$dir/server.properties" <<EOF
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.external.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.external.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";
listener.name.external.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.external.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$certs/broker.p12
ssl.keystore.password=changeit
ssl.key.password=changeit
ssl.truststore.type=PKCS12
ssl.truststore.location=$certs/truststore.p12
ssl.truststore.password=changeit
ssl.client.auth=none
EOF
  fi
}

write_log4j_config() {
  cat >"$KSE_CLUSTER_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=INFO
EOF
}

# A CA, a broker certificate valid for 127.0.0.1 and localhost, PKCS12 stores for the
# brokers and PEM files for clients.
generate_certificates() {
  local certs="$KSE_CLUSTER_DIR/certs"
  mkdir -p "$certs"
  (
    cd "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=kse-test-ca" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout broker-key.pem -out broker.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -extfile san.ext -out broker.pem 2>/dev/null
    openssl pkcs12 -export -in broker.pem -inkey broker-key.pem -certfile ca.pem \
      -name broker -out broker.p12 -passout pass:changeit
    keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 \
      -storetype PKCS12 -storepass changeit >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=client" \
      -keyout client-key.pem -out client.csr 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -out client.pem 2>/dev/null
  )
}

format_storage() {
  local id=$1 cluster_id=$2
  local args=(format -t "$cluster_id" -c "$(node_dir "$id")/server.properties" --ignore-formatted)
  if is_secure; then
    args+=(--add-scram 'SCRAM-SHA-256=[name=scram-user,password=scram-secret]'
      --add-scram 'SCRAM-SHA-512=[name=scram-user,password=scram-secret]')
  fi
  run_kafka_class kafka.tools.StorageTool "${args[@]}" >"$(log_dir "$id")/format.log" 2>&1 ||
    die "kafka-storage format failed for broker $id: $(tail -5 "$(log_dir "$id")/format.log")"
}

broker_start() {
  local id=$1
  [[ -f "$(node_dir "$id")/server.properties" ]] ||
    die "broker $id has no configuration; run '$(basename "$0") start' first"
  if broker_pid "$id" >/dev/null; then
    return 0
  fi
  local agents=(-javaagent:"$JOLOKIA_JAR=host=$CLUSTER_HOST,port=$(jolokia_port "$id"),discoveryEnabled=false")
  if [[ "$id" == 1 && -n "${KSE_JMX_EXPORTER_CONFIG:-}" ]]; then
    [[ -r "$KSE_JMX_EXPORTER_CONFIG" ]] || die "KSE_JMX_EXPORTER_CONFIG: cannot read $KSE_JMX_EXPORTER_CONFIG"
    agents+=(-javaagent:"$JMX_EXPORTER_JAR=$CLUSTER_HOST:7991:$KSE_JMX_EXPORTER_CONFIG")
  fi
  local logs
  logs=$(log_dir "$id")
  # setsid detaches the broker from the caller's session so test harnesses can exit.
  setsid nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkse.cluster.node="$id" -Dkafka.logs.dir="$logs" \
    -Dlog4j.configuration="file:$KSE_CLUSTER_DIR/log4j.properties" \
    "${agents[@]}" -cp "$(java_classpath)" kafka.Kafka "$(node_dir "$id")/server.properties" \
    >"$logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$id")"
}

broker_signal() {
  local id=$1 signal=$2
  local pid
  pid=$(broker_pid "$id") || die "broker $id is not running"
  kill "-$signal" "$pid"
}

broker_stop() {
  local id=$1
  local pid
  pid=$(broker_pid "$id") || { rm -f "$(pid_file "$id")"; return 0; }
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null && ((waited < 300)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kafka-cluster: broker $id did not stop within 30 s, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$id")"
}

# Brokers registered in the metadata seen from broker `via`, as "1 2 3".
registered_brokers() {
  local via=$1
  timeout 10 kcat -L -b "$CLUSTER_HOST:$(client_port "$via")" -m 5 2>/dev/null |
    sed -n 's/^ *broker \([0-9]*\) at .*/\1/p' | sort -n | tr '\n' ' '
}

wait_broker_ready() {
  local id=$1 limit=$2
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    broker_pid "$id" >/dev/null || die "broker $id exited: $(tail -20 "$(log_dir "$id")/server.log" 2>/dev/null)"
    if port_open "$(client_port "$id")" && [[ " $(registered_brokers "$id") " == *" $id "* ]]; then
      return 0
    fi
    sleep 0.5
  done
  die "broker $id not ready after ${limit}s; last log lines:
$(tail -20 "$(log_dir "$id")/server.log" 2>/dev/null)"
}

cluster_healthy() {
  local id
  for id in "${CORE_BROKERS[@]}"; do
    broker_pid "$id" >/dev/null || return 1
    port_open "$(client_port "$id")" || return 1
  done
  [[ "$(registered_brokers 1)" == *"1 2 3"* ]]
}

create_seed_topics() {
  local bootstrap="$CLUSTER_HOST:9092"
  run_kafka_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create \
    --if-not-exists --topic testing --partitions 5 --replication-factor 2 >/dev/null
  run_kafka_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create \
    --if-not-exists --topic position --partitions 5 --replication-factor 3 \
    --config min.insync.replicas=2 >/dev/null
  # Leaders elected for every partition of both topics.
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    local meta
    meta=$(timeout 10 kcat -L -b "$bootstrap" -m 5 2>/dev/null || true)
    if [[ $(grep -c 'leader [0-9]' <<<"$(sed -n '/topic "testing"/,/topic "/p;/topic "position"/,/topic "/p' <<<"$meta")") -ge 10 ]]; then
      return 0
    fi
    sleep 0.5
  done
  die "topics testing and position have no leaders after 60 s"
}

cluster_start() {
  local secure=0 owner=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --secure) secure=1 ;;
      --owner) owner=${2:?--owner needs a name}; shift ;;
      *) die "start: unknown option '$1'" ;;
    esac
    shift
  done
  fetch_kafka
  if cluster_healthy; then
    if ((secure)) && ! is_secure; then
      die "a plaintext cluster is already running; stop it before 'start --secure'"
    fi
    echo "kafka-cluster: already running ($KSE_CLUSTER_DIR)"
    return 0
  fi
  local id
  for id in "${CORE_BROKERS[@]}" 4 5 6 7 8 9; do broker_stop "$id"; done
  rm -rf "$KSE_CLUSTER_DIR"
  mkdir -p "$KSE_CLUSTER_DIR"
  if ((secure)); then
    touch "$KSE_CLUSTER_DIR/secure"
    generate_certificates
  fi
  write_log4j_config
  local cluster_id
  cluster_id=$(run_kafka_class kafka.tools.StorageTool random-uuid | tail -1)
  echo "$cluster_id" >"$KSE_CLUSTER_DIR/cluster-id"
  for id in "${CORE_BROKERS[@]}"; do
    write_broker_config "$id" broker,controller
    format_storage "$id" "$cluster_id" &
  done
  wait
  for id in "${CORE_BROKERS[@]}"; do broker_start "$id"; done
  for id in "${CORE_BROKERS[@]}"; do wait_broker_ready "$id" 120; done
  create_seed_topics
  [[ -n "$owner" ]] && echo "$owner" >"$KSE_CLUSTER_DIR/owner"
  echo "kafka-cluster: 3 brokers up on $CLUSTER_HOST:9092,$CLUSTER_HOST:9192,$CLUSTER_HOST:9292 (cluster id $cluster_id)"
}

cluster_stop() {
  local owner=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --owner) owner=${2:?--owner needs a name}; shift ;;
      *) die "stop: unknown option '$1'" ;;
    esac
    shift
  done
  if [[ -n "$owner" ]]; then
    local recorded
    recorded=$(cat "$KSE_CLUSTER_DIR/owner" 2>/dev/null || true)
    if [[ "$recorded" != "$owner" ]]; then
      echo "kafka-cluster: left running (not started by '$owner')"
      return 0
    fi
  fi
  local id
  for id in 4 5 6 7 8 9 "${CORE_BROKERS[@]}"; do broker_stop "$id" & done
  wait
  # A broker left from a lost state dir still carries its marker on the command line.
  pkill -KILL -f -- "-Dkse.cluster.node=" 2>/dev/null || true
  rm -f "$KSE_CLUSTER_DIR/owner"
  echo "kafka-cluster: stopped"
}

cluster_status() {
  local id state any=0
  for id in 1 2 3 4 5 6 7 8 9; do
    [[ -d "$(node_dir "$id")" ]] || continue
    any=1
    if pid=$(broker_pid "$id"); then
      if [[ $(ps -o stat= -p "$pid" | cut -c1) == T ]]; then
        state="paused (pid $pid)"
      elif port_open "$(client_port "$id")"; then
        state="running (pid $pid)"
      else
        state="starting (pid $pid)"
      fi
    else
      state=stopped
    fi
    echo "broker $id: $state, $CLUSTER_HOST:$(client_port "$id"), jolokia $(jolokia_port "$id")"
  done
  ((any)) || echo "no cluster in $KSE_CLUSTER_DIR"
  return 0
}

cluster_env() {
  echo "KSE_CLUSTER_DIR=$KSE_CLUSTER_DIR"
  echo "BOOTSTRAP=$CLUSTER_HOST:9092,$CLUSTER_HOST:9192,$CLUSTER_HOST:9292"
  echo "CONTROLLERS=$CLUSTER_HOST:9093,$CLUSTER_HOST:9193,$CLUSTER_HOST:9293"
  echo "JOLOKIA=http://$CLUSTER_HOST:8778/jolokia/,http://$CLUSTER_HOST:8779/jolokia/,http://$CLUSTER_HOST:8780/jolokia/"
  if is_secure; then
    echo "SASL_SSL_BOOTSTRAP=$CLUSTER_HOST:9094,$CLUSTER_HOST:9194,$CLUSTER_HOST:9294"
    echo "CA_FILE=$KSE_CLUSTER_DIR/certs/ca.pem"
    echo "CLIENT_CERT=$KSE_CLUSTER_DIR/certs/client.pem"
    echo "CLIENT_KEY=$KSE_CLUSTER_DIR/certs/client-key.pem"
    echo "PLAIN_USERS=admin:admin-secret,alice:alice-secret"
    echo "SCRAM_USER=scram-user:scram-secret (SCRAM-SHA-256, SCRAM-SHA-512)"
  fi
}

add_broker() {
  local id=$1
  [[ -f "$KSE_CLUSTER_DIR/cluster-id" ]] || die "no cluster running; start it first"
  ((id > 3)) || die "brokers 1..3 are the core nodes; add-broker takes 4..9"
  if ! broker_pid "$id" >/dev/null; then
    write_broker_config "$id" broker
    format_storage "$id" "$(cat "$KSE_CLUSTER_DIR/cluster-id")"
    broker_start "$id"
  fi
  wait_broker_ready "$id" 120
  echo "kafka-cluster: broker $id up on $CLUSTER_HOST:$(client_port "$id")"
}
