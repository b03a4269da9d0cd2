# Kafka Connect against the local test cluster, and MirrorMaker 2 from a second one;
# sourced by lib.sh, whose functions (say, die, recorded_pid, stop_pid, port_open,
# run_kafka_tool, ...) these use, and cluster/kafka-cluster calls them.
# shellcheck shell=bash
#
# * Connect, distributed: workers 1 and 2 (org.apache.kafka.connect.cli.ConnectDistributed
#   from the cluster's own jars, no plugin.path: the connectors are on the classpath),
#   group kse-connect, REST on 8083/8084, the Jolokia agent on 8790/8791, state in
#   $KSE_CLUSTER_DIR/connect-N/ (worker.properties, logs/connect.log, pid).
# * The backup cluster: this same script's 3 brokers with KSE_CLUSTER_DIR=<dir>/backup and
#   KSE_PORT_OFFSET+20000 (clients 29092/29192/29292), with the topic 'mirrored'; MirrorMaker
#   2's three connectors run on the Connect group above, from alias 'backup' to alias
#   'primary' (the cluster the workers use): backup's 'mirrored' becomes 'backup.mirrored'.
#
# Connect's version is the cluster's, unless Maven Central lacks that release's connectors
# (connect-file, connect-mirror: 4.4.0's are missing): then the workers run from the
# fallback release of the same line (4.3.1), all of Connect from its jars, since a 4.3
# connector does not load on a 4.4 runtime (4.4 moved AppInfoParser and other classes).
#
# Environment: KSE_CONNECT_VERSION (another Kafka release for the workers), KSE_CONNECT_HEAP
# (-Xmx of a worker, default 512m), KSE_CONNECT_START_TIMEOUT (default 120 s).

CONNECT_WORKERS=(1 2)
CONNECT_GROUP=kse-connect
CONNECT_MAIN=org.apache.kafka.connect.cli.ConnectDistributed
CONNECT_START_TIMEOUT=${KSE_CONNECT_START_TIMEOUT:-120}
MIRROR_CONNECTORS=(mm2-source mm2-checkpoint mm2-heartbeat)
MIRROR_SOURCE_ALIAS=backup
MIRROR_TARGET_ALIAS=primary
MIRROR_TOPIC=mirrored
# The backup cluster's ports are the primary's plus this: its lowest (ZooKeeper 2181)
# lands above the primary's highest (the proxy of broker 9, 19898).
BACKUP_PORT_SHIFT=20000

# ---------------------------------------------------------------- ports and paths

connect_rest_port() { echo $((8082 + $1 + KSE_PORT_OFFSET)); }
connect_jolokia_port() { echo $((8789 + $1 + KSE_PORT_OFFSET)); }
connect_url() { echo "http://$CLUSTER_HOST:$(connect_rest_port "$1")"; }
connect_jolokia_url() { echo "http://$CLUSTER_HOST:$(connect_jolokia_port "$1")/jolokia/"; }
connect_dir() { echo "$KSE_CLUSTER_DIR/connect-$1"; }
connect_config_file() { echo "$KSE_CLUSTER_DIR/connect-$1/worker.properties"; }
connect_log_dir() { echo "$KSE_CLUSTER_DIR/connect-$1/logs"; }
connect_pid_file() { echo "$KSE_CLUSTER_DIR/connect-$1/pid"; }
# As a broker's: a worker is ours when its command line names its own worker.properties.
connect_marker() { echo " $CONNECT_MAIN $(connect_config_file "$1")"; }
connect_pid() { recorded_pid "$(connect_pid_file "$1")" "$(connect_marker "$1")"; }
connect_state_dir_pids() { pids_matching "* $CONNECT_MAIN $KSE_CLUSTER_DIR/connect-[0-9]/worker.properties*"; }
connect_urls() {
  local id out=""
  for id in "${CONNECT_WORKERS[@]}"; do out+="${out:+,}$(connect_url "$id")"; done
  echo "$out"
}

require_connect_worker_arg() {
  [[ $# -ge 1 && " ${CONNECT_WORKERS[*]} " == *" ${1:-x} "* ]] || die "expected a Connect worker id 1..${#CONNECT_WORKERS[@]}, got '${1:-}'"
}

running_connect_workers() {
  local id
  for id in "${CONNECT_WORKERS[@]}"; do connect_pid "$id" >/dev/null && echo "$id"; done
  return 0
}

# The first running worker's id (no pipe into head: pipefail and SIGPIPE).
first_connect_worker() {
  local id
  for id in "${CONNECT_WORKERS[@]}"; do connect_pid "$id" >/dev/null && echo "$id" && return 0; done
  return 0
}

backup_dir() { echo "$KSE_CLUSTER_DIR/backup"; }
backup_port_offset() { echo $((KSE_PORT_OFFSET + BACKUP_PORT_SHIFT)); }
backup_bootstrap() { (KSE_PORT_OFFSET=$(backup_port_offset) && bootstrap); }
backup_broker_pid() {
  recorded_pid "$(backup_dir)/broker-$1/pid" " kafka.Kafka $(backup_dir)/broker-$1/server.properties"
}
backup_running() {
  local id
  for id in "${CORE_BROKERS[@]}"; do backup_broker_pid "$id" >/dev/null && return 0; done
  return 1
}

# This same script on the backup cluster: its own state dir (and lock) inside ours, every
# port shifted, the primary's Kafka version and mode, no JMX exporter, its messages marked.
backup_cluster() { # backup_cluster COMMAND [ARGS]
  local version mode
  version=$(cluster_kafka_version)
  mode=$(cluster_mode)
  # shellcheck disable=SC2097,SC2098 # the child's own values
  KSE_CLUSTER_DIR=$(backup_dir) KSE_PORT_OFFSET=$(backup_port_offset) KSE_KAFKA_VERSION=$version \
    KSE_KAFKA_MODE=$mode KSE_JMX_EXPORTER_CONFIG='' "$KSE_CLUSTER_SCRIPTS/kafka-cluster" "$@" 2>&1 |
    sed -u 's/^kafka-cluster: /kafka-cluster: backup: /'
}

# ---------------------------------------------------------------- Connect's version

version_at_least() { # version_at_least MIN VERSION
  [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | sed -n 1p)" == "$1" ]]
}

# The connector jars' release in a fetched Kafka's classpath: its own, or "none".
connect_plugins_of() { cat "$(kafka_home "$1")/connect-plugins-version" 2>/dev/null || echo "$1"; }

# Sets CONNECT_VERSION and CONNECT_LIBS (after fetch_kafka), fetching that release once.
connect_runtime() {
  CONNECT_VERSION=${KSE_CONNECT_VERSION:-$KAFKA_VERSION}
  if [[ -z "${KSE_CONNECT_VERSION:-}" && "$(connect_plugins_of "$KAFKA_VERSION")" == none &&
    "$KAFKA_FALLBACK_VERSION" != "$KAFKA_VERSION" && "${KAFKA_FALLBACK_VERSION%%.*}" == "${KAFKA_VERSION%%.*}" ]]; then
    CONNECT_VERSION=$KAFKA_FALLBACK_VERSION
  fi
  if [[ "$CONNECT_VERSION" != "$KAFKA_VERSION" ]]; then
    # shellcheck disable=SC2034 # read by fetch_kafka; its variables stay in the subshell
    (KSE_KAFKA_VERSION=$CONNECT_VERSION && fetch_kafka) || die "could not fetch Kafka $CONNECT_VERSION for Connect"
  fi
  CONNECT_LIBS="$(kafka_home "$CONNECT_VERSION")/libs"
  [[ "$(connect_plugins_of "$CONNECT_VERSION")" != none ]] ||
    warn "Kafka $CONNECT_VERSION has no connect-file/connect-mirror jars (not on Maven Central): Connect runs without its connectors"
}

# `fetch`: Connect's own release too, when it is another than the cluster's.
connect_fetch() {
  connect_runtime
  [[ "$CONNECT_VERSION" == "$KAFKA_VERSION" ]] || echo "Kafka Connect $CONNECT_VERSION: $CONNECT_LIBS"
}

# ---------------------------------------------------------------- the REST API

# curl against worker ID (else the first one answering): prints the body; fails, with
# the status and body on stderr, on anything but 2xx.
connect_rest() { # connect_rest METHOD PATH [JSON_BODY]
  local method=$1 path=$2 body=${3:-} id url="" out code
  id=$(first_connect_worker)
  [[ -n "$id" ]] && url=$(connect_url "$id")
  [[ -n "$url" ]] || {
    echo "no Connect worker running" >&2
    return 1
  }
  out=$(mktemp)
  local args=(-sS -m 30 -o "$out" -w '%{http_code}' -X "$method")
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  code=$(curl "${args[@]}" "$url$path" 2>&1) || code="curl failed: $code"
  if [[ "$code" =~ ^2[0-9][0-9]$ ]]; then
    cat "$out"
    rm -f "$out"
    return 0
  fi
  echo "$method $url$path: $code $(cat "$out")" >&2
  rm -f "$out"
  return 1
}

connect_answers() { curl -fsS -m 5 -o /dev/null "$(connect_url "$1")/connectors" 2>/dev/null; }

# PUT /connectors/NAME/config from KEY=VALUE arguments: creates or updates (idempotent).
# A worker still joining the group answers 409 or 5xx for a moment: retried for 60 s.
connect_put_connector() { # connect_put_connector NAME KEY=VALUE...
  local name=$1 body deadline=$((SECONDS + 60)) err
  shift
  body=$(python3 -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))' "$@")
  until err=$(connect_rest PUT "/connectors/$name/config" "$body" 2>&1 >/dev/null); do
    # A refused configuration (400) stays refused.
    [[ "$err" =~ :\ 4[0-9][0-9]\  && ! "$err" =~ :\ 409\  ]] && die "connector $name refused: $err"
    ((SECONDS < deadline)) || die "could not create connector $name: $err"
    sleep 1
  done
}

# "STATE TASK_STATE..." of connector NAME, or nothing when it has no status yet.
connector_states() {
  connect_rest GET "/connectors/$1/status" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["connector"]["state"], *[t["state"] for t in sorted(d.get("tasks", []), key=lambda t: t["id"])])' 2>/dev/null
}

# One line per connector: name, state, tasks (state@worker), from GET /connectors?expand=status.
connectors_summary() {
  connect_rest GET "/connectors?expand=status" 2>/dev/null | python3 -c '
import json, sys
for name, v in sorted(json.load(sys.stdin).items()):
    s = v["status"]
    tasks = ", ".join("%d %s@%s" % (t["id"], t["state"], t["worker_id"]) for t in sorted(s["tasks"], key=lambda t: t["id"]))
    print("connector %s: %s@%s, tasks: %s" % (name, s["connector"]["state"], s["connector"]["worker_id"], tasks or "none"))' 2>/dev/null
}

# ---------------------------------------------------------------- workers

# The internal topics' replication factor: 3, or fewer on a cluster with fewer brokers up.
connect_replication_factor() {
  local count=0 id
  for id in "${CORE_BROKERS[@]}" "${EXTRA_BROKERS[@]}"; do broker_pid "$id" >/dev/null && count=$((count + 1)); done
  ((count >= 3)) && count=3
  ((count >= 1)) || count=1
  echo "$count"
}

write_connect_config() { # write_connect_config ID
  local id=$1 rf
  rf=$(connect_replication_factor)
  mkdir -p "$(connect_log_dir "$id")"
  cat >"$(connect_config_file "$id")" <<EOF
# Kafka Connect worker $id of the local test cluster (cluster/kafka-cluster start-connect).
bootstrap.servers=$(bootstrap)
group.id=$CONNECT_GROUP
config.storage.topic=$CONNECT_GROUP-configs
offset.storage.topic=$CONNECT_GROUP-offsets
status.storage.topic=$CONNECT_GROUP-status
config.storage.replication.factor=$rf
offset.storage.replication.factor=$rf
status.storage.replication.factor=$rf
offset.storage.partitions=5
status.storage.partitions=3

key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false

# Source offsets (MirrorMaker 2's replicated offsets among them) committed every second.
offset.flush.interval.ms=1000
# Connectors may set any client setting of theirs (producer.override.*, consumer.override.*).
connector.client.config.override.policy=All
# A worker that left (stop-connect-worker) has its connectors and tasks moved after 10 s,
# not the default 5 minutes.
scheduled.rebalance.max.delay.ms=10000

$(version_at_least 3.6 "$CONNECT_VERSION" && printf '%s\n' "# Kafka's own plugins all have ServiceLoader manifests: no scan of the classpath (6 s)." plugin.discovery=service_load)
listeners=http://$CLUSTER_HOST:$(connect_rest_port "$id")
rest.advertised.host.name=$CLUSTER_HOST
rest.advertised.port=$(connect_rest_port "$id")
rest.advertised.listener=http
EOF
}

write_connect_log4j_config() {
  cat >"$KSE_CLUSTER_DIR/connect-log4j.properties" <<'EOF'
# Connect workers: connect-N/logs/connect.log.
log4j.rootLogger=INFO, connect
log4j.appender.connect=org.apache.log4j.RollingFileAppender
log4j.appender.connect.File=${kafka.logs.dir}/connect.log
log4j.appender.connect.MaxFileSize=20MB
log4j.appender.connect.MaxBackupIndex=2
log4j.appender.connect.layout=org.apache.log4j.PatternLayout
log4j.appender.connect.layout.ConversionPattern=[%d] %p %X{connector.context}%m (%c)%n
log4j.logger.org.reflections=ERROR
log4j.logger.org.eclipse.jetty=WARN
EOF
  cat >"$KSE_CLUSTER_DIR/connect-log4j2.properties" <<'EOF'
rootLogger.level=INFO
rootLogger.appenderRef.connect.ref=connect
appender.connect.type=RollingFile
appender.connect.name=connect
appender.connect.fileName=${sys:kafka.logs.dir}/connect.log
appender.connect.filePattern=${sys:kafka.logs.dir}/connect.log.%i
appender.connect.layout.type=PatternLayout
appender.connect.layout.pattern=[%d] %p %X{connector.context}%m (%c)%n
appender.connect.policies.type=Policies
appender.connect.policies.size.type=SizeBasedTriggeringPolicy
appender.connect.policies.size.size=20MB
appender.connect.strategy.type=DefaultRolloverStrategy
appender.connect.strategy.max=2
logger.reflections.name=org.reflections
logger.reflections.level=ERROR
logger.jetty.name=org.eclipse.jetty
logger.jetty.level=WARN
EOF
}

connect_log_tail() {
  local id=$1 lines=${2:-25} logs
  logs=$(connect_log_dir "$id")
  echo "--- $logs/connect.log (last $lines lines)"
  tail -n "$lines" "$logs/connect.log" 2>/dev/null || echo "(no connect.log)"
  if [[ -s "$logs/stdout.log" ]]; then
    echo "--- $logs/stdout.log (last 10 lines)"
    tail -n 10 "$logs/stdout.log"
  fi
}

# Starts worker ID (fetch_kafka first) unless it runs; returns once its process is up.
connect_worker_start() {
  local id=$1
  connect_pid "$id" >/dev/null && return 0
  [[ -n "$(running_core_brokers)" ]] || die "no cluster running in $KSE_CLUSTER_DIR; 'start' it first"
  local port
  for port in "$(connect_rest_port "$id")" "$(connect_jolokia_port "$id")"; do
    port_open "$port" && die "cannot start Connect worker $id: port $port is in use by $(port_owner "$port")"
  done
  write_connect_config "$id"
  [[ -f "$KSE_CLUSTER_DIR/connect-log4j.properties" ]] || write_connect_log4j_config
  local logs pidf
  logs=$(connect_log_dir "$id")
  pidf=$(connect_pid_file "$id")
  rm -f "$pidf"
  echo "$CONNECT_VERSION" >"$(connect_dir "$id")/kafka-version"
  # Detached as a broker is (see broker_start): own session, child of init, pid written
  # by the process itself; the JVM as run_kafka_class runs one, with a bigger heap.
  # shellcheck disable=SC2016 # $$ is the inner shell's
  (setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidf" \
    java -Xms64m "-Xmx${KSE_CONNECT_HEAP:-512m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -XX:+ExitOnOutOfMemoryError -Xshare:auto -Djava.awt.headless=true \
    -Dkafka.logs.dir="$logs" -Dlog4j.configuration="file:$KSE_CLUSTER_DIR/connect-log4j.properties" \
    -Dlog4j2.configurationFile="$KSE_CLUSTER_DIR/connect-log4j2.properties" \
    "-javaagent:$JOLOKIA_JAR=host=$CLUSTER_HOST,port=$(connect_jolokia_port "$id"),discoveryEnabled=false" \
    -cp "$CONNECT_LIBS/*" "$CONNECT_MAIN" "$(connect_config_file "$id")" \
    >"$logs/stdout.log" 2>&1 </dev/null 9>&- 8>&- &)
  local waited=0
  until [[ -s "$pidf" ]] && connect_pid "$id" >/dev/null; do
    ((waited++ < 100)) || die "Connect worker $id did not start: $(tail -5 "$logs/stdout.log" 2>/dev/null)"
    sleep 0.05
  done
}

# Waits until each given worker's REST API answers GET /connectors; fails fast when one exits.
connect_wait_ready() { # connect_wait_ready SECONDS ID...
  local seconds=$1
  shift
  wait_nodes_ready "$seconds" "Connect worker" connect_pid connect_answers connect_log_tail "$@"
}

connect_worker_stop() {
  local id=$1 pid
  if pid=$(connect_pid "$id"); then
    stop_pid "$pid" "Connect worker $id"
  fi
  rm -f "$(connect_pid_file "$id")"
  local port deadline=$((SECONDS + 30))
  for port in "$(connect_rest_port "$id")" "$(connect_jolokia_port "$id")"; do
    while port_open "$port" && ((SECONDS < deadline)); do sleep 0.2; done
  done
}

connect_worker_kill() {
  local id=$1 pid
  pid=$(connect_pid "$id") || die "Connect worker $id is not running"
  kill -KILL "$pid"
  wait_gone "$pid" 10 || die "Connect worker $id (pid $pid) survived SIGKILL"
  rm -f "$(connect_pid_file "$id")"
}

# Every worker of this state dir, with or without a pid file, all at once.
connect_stop_all() {
  local pid jobs=() id
  for pid in $(connect_state_dir_pids); do
    stop_pid "$pid" "Connect worker pid $pid" &
    jobs+=($!)
  done
  ((${#jobs[@]} == 0)) || wait "${jobs[@]}"
  for id in "${CONNECT_WORKERS[@]}"; do
    [[ -d "$(connect_dir "$id")" ]] && connect_worker_stop "$id"
  done
  return 0
}

# Starts the workers not running, waits for all; "already running" when nothing was missing.
connect_start_workers() {
  local id started=$SECONDS missing=()
  for id in "${CONNECT_WORKERS[@]}"; do connect_pid "$id" >/dev/null || missing+=("$id"); done
  ((${#missing[@]} == 0)) || write_connect_log4j_config
  for id in "${missing[@]}"; do connect_worker_start "$id"; done
  connect_wait_ready "$CONNECT_START_TIMEOUT" "${CONNECT_WORKERS[@]}"
  if ((${#missing[@]} == 0)); then
    say "Connect already running: REST $(connect_urls)"
  else
    say "Connect group $CONNECT_GROUP up: REST $(connect_urls), Jolokia $(join_ports connect_jolokia_port "${CONNECT_WORKERS[@]}") (Kafka $CONNECT_VERSION, worker(s) ${missing[*]} started, $((SECONDS - started))s)"
    [[ "$CONNECT_VERSION" == "$KAFKA_VERSION" ]] ||
      warn "Connect runs Kafka $CONNECT_VERSION against the Kafka $KAFKA_VERSION cluster (Maven Central has no connect-file/connect-mirror $KAFKA_VERSION)"
  fi
}

# ---------------------------------------------------------------- commands

# The Kafka of a running cluster only: workers of another version are refused.
connect_prepare() {
  fetch_kafka
  [[ -n "$(running_core_brokers)" ]] || die "no cluster running in $KSE_CLUSTER_DIR; 'start' it first"
  [[ "$(cluster_kafka_version)" == "$KAFKA_VERSION" ]] ||
    die "the cluster runs Kafka $(cluster_kafka_version), not $KAFKA_VERSION (KSE_KAFKA_VERSION)"
  connect_runtime
  take_lock
}

connect_start() {
  [[ $# -eq 0 ]] || die "start-connect takes no argument"
  connect_prepare
  connect_start_workers
}

connect_stop() {
  [[ $# -eq 0 ]] || die "stop-connect takes no argument"
  take_lock
  if [[ -z "$(connect_state_dir_pids)" ]]; then
    rm -f "$KSE_CLUSTER_DIR"/connect-*/pid
    say "Connect not running"
    return 0
  fi
  connect_stop_all
  say "Connect stopped"
}

connect_worker_command() { # connect_worker_command start|stop|kill ID
  local action=$1
  shift
  require_connect_worker_arg "$@"
  [[ $# -eq 1 ]] || die "$action-connect-worker takes one worker id"
  local id=$1
  case "$action" in
    start)
      connect_prepare
      [[ -f "$KSE_CLUSTER_DIR/connect-log4j.properties" ]] || write_connect_log4j_config
      connect_worker_start "$id"
      connect_wait_ready "$CONNECT_START_TIMEOUT" "$id"
      say "Connect worker $id running: REST $(connect_url "$id"), Jolokia $(connect_jolokia_url "$id")"
      ;;
    stop)
      take_lock
      connect_worker_stop "$id"
      say "Connect worker $id stopped"
      ;;
    kill)
      connect_worker_kill "$id"
      say "Connect worker $id killed (SIGKILL)"
      ;;
  esac
}

# The MirrorMaker 2 connectors' settings common to the three: both clusters, raw bytes
# through (as MirrorMaker's own driver sets them), internal topics of RF 3.
mirror_common_config() {
  echo "source.cluster.alias=$MIRROR_SOURCE_ALIAS"
  echo "target.cluster.alias=$MIRROR_TARGET_ALIAS"
  echo "source.cluster.bootstrap.servers=$(backup_bootstrap)"
  echo "target.cluster.bootstrap.servers=$(bootstrap)"
  echo "key.converter=org.apache.kafka.connect.converters.ByteArrayConverter"
  echo "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter"
  echo "header.converter=org.apache.kafka.connect.converters.ByteArrayConverter"
  echo "tasks.max=1"
}

mirror_start() {
  [[ $# -eq 0 ]] || die "start-mirror takes no argument"
  connect_prepare
  local started=$SECONDS
  [[ "$(connect_plugins_of "$CONNECT_VERSION")" != none ]] ||
    die "Connect of Kafka $CONNECT_VERSION has no connect-mirror jar (not on Maven Central): no MirrorMaker 2"
  # 1. The backup cluster (this script, its own lock), and its topic.
  backup_cluster start || die "the backup cluster did not start (logs in $(backup_dir))"
  local out
  out=$(run_kafka_tool --timeout 120 kafka-topics --bootstrap-server "$(backup_bootstrap)" --create --if-not-exists \
    --topic "$MIRROR_TOPIC" --partitions 3 --replication-factor 3 2>&1) ||
    die "could not create topic $MIRROR_TOPIC on the backup cluster: $out"
  # 2. Connect, started when not running.
  connect_start_workers
  # 3. The connectors, created or updated.
  local common
  mapfile -t common < <(mirror_common_config)
  connect_put_connector mm2-source "${common[@]}" \
    connector.class=org.apache.kafka.connect.mirror.MirrorSourceConnector \
    "topics=$MIRROR_TOPIC" replication.factor=3 offset-syncs.topic.replication.factor=3 \
    sync.topic.acls.enabled=false refresh.topics.interval.seconds=5 sync.topic.configs.interval.seconds=10
  connect_put_connector mm2-checkpoint "${common[@]}" \
    connector.class=org.apache.kafka.connect.mirror.MirrorCheckpointConnector \
    "groups=.*" emit.checkpoints.interval.seconds=5 refresh.groups.interval.seconds=5 \
    checkpoints.topic.replication.factor=3
  connect_put_connector mm2-heartbeat "${common[@]}" \
    connector.class=org.apache.kafka.connect.mirror.MirrorHeartbeatConnector \
    emit.heartbeats.interval.seconds=5 heartbeats.topic.replication.factor=3
  # 4. Replicating: mm2-source's task runs and the remote topic exists on the primary.
  local deadline=$((SECONDS + CONNECT_START_TIMEOUT)) states="" target="$MIRROR_SOURCE_ALIAS.$MIRROR_TOPIC"
  until [[ "$states" =~ ^RUNNING( RUNNING)+$ ]] && topic_exists "$target"; do
    if [[ "$states" == *FAILED* ]]; then
      die "mm2-source failed: $(connect_rest GET /connectors/mm2-source/status 2>&1)"
    fi
    ((SECONDS < deadline)) || die "mm2-source not replicating after ${CONNECT_START_TIMEOUT}s (status: ${states:-none}; topic $target $(topic_exists "$target" && echo exists || echo missing))
$(connect_log_tail 1)"
    sleep 1
    states=$(connector_states mm2-source)
  done
  say "MirrorMaker 2 running on Connect group $CONNECT_GROUP: $MIRROR_SOURCE_ALIAS ($(backup_bootstrap)) -> $MIRROR_TARGET_ALIAS ($(bootstrap)), topic $MIRROR_TOPIC -> $target, connectors ${MIRROR_CONNECTORS[*]} ($((SECONDS - started))s)"
}

# The next start-mirror begins afresh: a new backup cluster, so no connector may keep
# the offsets it had of the old one, nor the primary the topics it replicated into.
mirror_stop() {
  [[ $# -eq 0 ]] || die "stop-mirror takes no argument"
  fetch_kafka
  take_lock
  local name err worker version="" deleted=()
  worker=$(first_connect_worker)
  [[ -n "$worker" ]] && version=$(cat "$(connect_dir "$worker")/kafka-version" 2>/dev/null || true)
  for name in "${MIRROR_CONNECTORS[@]}"; do
    [[ -n "$worker" ]] || break
    connect_rest GET "/connectors/$name" >/dev/null 2>&1 || continue
    # Kafka 3.6 and later reset a stopped connector's offsets (KIP-875).
    if [[ -n "$version" ]] && version_at_least 3.6 "$version" &&
      connect_rest PUT "/connectors/$name/stop" >/dev/null 2>&1; then
      local deadline=$((SECONDS + 30))
      until [[ "$(connector_states "$name")" == STOPPED* ]] || ((SECONDS >= deadline)); do sleep 0.5; done
      connect_rest DELETE "/connectors/$name/offsets" >/dev/null 2>&1 ||
        warn "could not reset the offsets of connector $name"
    fi
    if err=$(connect_rest DELETE "/connectors/$name" 2>&1 >/dev/null); then
      deleted+=("$name")
    else
      warn "could not delete connector $name: $err"
    fi
  done
  # What MirrorMaker 2 made on the primary: the remote topic, checkpoints, heartbeats.
  if [[ -n "$(running_core_brokers)" ]]; then
    local out pattern="${MIRROR_SOURCE_ALIAS}\\.${MIRROR_TOPIC}|${MIRROR_SOURCE_ALIAS}\\.checkpoints\\.internal|heartbeats"
    out=$(run_kafka_tool --timeout 120 kafka-topics --bootstrap-server "$(bootstrap)" --delete --if-exists \
      --topic "$pattern" 2>&1) || warn "could not delete MirrorMaker 2's topics on the primary: $out"
  fi
  if [[ -d "$(backup_dir)" ]]; then
    backup_cluster stop || warn "the backup cluster did not stop cleanly"
  fi
  say "MirrorMaker 2 stopped (connectors deleted: ${deleted[*]:-none}; topics $MIRROR_SOURCE_ALIAS.$MIRROR_TOPIC, $MIRROR_SOURCE_ALIAS.checkpoints.internal, heartbeats deleted; backup cluster stopped)"
}

# Called by stop (after its owner check) and by a fresh start: Connect, then the backup
# cluster, before the primary's brokers go.
connect_and_mirror_stop() {
  if [[ -n "$(connect_state_dir_pids)" ]]; then
    connect_stop_all
    say "Connect stopped"
  fi
  rm -f "$KSE_CLUSTER_DIR"/connect-*/pid
  if [[ -d "$(backup_dir)" ]] && backup_running; then
    backup_cluster stop || warn "the backup cluster did not stop cleanly"
  fi
  return 0
}

connect_status() {
  local id pid state
  for id in "${CONNECT_WORKERS[@]}"; do
    [[ -d "$(connect_dir "$id")" ]] || continue
    if pid=$(connect_pid "$id"); then
      if [[ "$(process_state "$pid")" == T ]]; then
        state="paused (pid $pid)"
      elif connect_answers "$id"; then
        state="running (pid $pid)"
      else
        state="starting (pid $pid)"
      fi
    else
      state=stopped
    fi
    echo "connect $id: $state, $(connect_url "$id"), jolokia $(connect_jolokia_port "$id"), kafka $(cat "$(connect_dir "$id")/kafka-version" 2>/dev/null || echo '?')"
  done
  [[ -n "$(running_connect_workers)" ]] && connectors_summary
  if [[ -d "$(backup_dir)" ]]; then
    backup_cluster status | sed 's/^/backup: /'
  fi
  return 0
}

connect_env() {
  local id urls="" jolokia=""
  for id in $(running_connect_workers); do
    urls+="${urls:+,}$(connect_url "$id")"
    jolokia+="${jolokia:+,}$(connect_jolokia_url "$id")"
    echo "CONNECT_${id}_URL=$(connect_url "$id")"
    echo "CONNECT_${id}_JOLOKIA=$(connect_jolokia_url "$id")"
  done
  echo "CONNECT_URLS=$urls"
  echo "CONNECT_JOLOKIA_URLS=$jolokia"
  if [[ -n "$urls" ]]; then
    echo "CONNECT_KAFKA_VERSION=$(cat "$(connect_dir "$(first_connect_worker)")/kafka-version" 2>/dev/null)"
    echo "CONNECT_GROUP=$CONNECT_GROUP"
    echo "CONNECT_TOPICS=$CONNECT_GROUP-configs,$CONNECT_GROUP-offsets,$CONNECT_GROUP-status"
  fi
  if backup_running; then
    local offset
    offset=$(backup_port_offset)
    echo "BACKUP_BOOTSTRAP=$(backup_bootstrap)"
    echo "BACKUP_CLUSTER_DIR=$(backup_dir)"
    echo "BACKUP_PORT_OFFSET=$offset"
    echo "BACKUP_CLUSTER_ID=$(cat "$(backup_dir)/cluster-id" 2>/dev/null)"
    jolokia=""
    for id in "${CORE_BROKERS[@]}"; do jolokia+="${jolokia:+,}http://$CLUSTER_HOST:$(KSE_PORT_OFFSET=$offset && jolokia_port "$id")/jolokia/"; done
    echo "BACKUP_JOLOKIA=$jolokia"
    echo "MIRROR_SOURCE_ALIAS=$MIRROR_SOURCE_ALIAS"
    echo "MIRROR_TARGET_ALIAS=$MIRROR_TARGET_ALIAS"
    echo "MIRROR_TOPIC=$MIRROR_TOPIC"
    echo "MIRROR_REMOTE_TOPIC=$MIRROR_SOURCE_ALIAS.$MIRROR_TOPIC"
    echo "MIRROR_CONNECTORS=$(
      IFS=,
      echo "${MIRROR_CONNECTORS[*]}"
    )"
  else
    echo "BACKUP_BOOTSTRAP="
  fi
}
