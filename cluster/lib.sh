# Functions behind cluster/kafka-cluster and cluster/kafka-tool.
# shellcheck shell=bash
#
# Environment:
#   KSE_CACHE_DIR      jar cache (default ~/.cache/kafka-sidecar-exporter), outside the tree
#   KSE_CLUSTER_DIR    state of the running cluster (default /tmp/kse-cluster)
#   KSE_KAFKA_VERSION  Kafka version (default 4.4.0, else 4.3.1 when 4.4.0 cannot be fetched;
#                      3.9.1 in ZooKeeper mode; a running cluster's tools and restarts use
#                      its own version)
#   KSE_KAFKA_MODE     kraft (default) or zookeeper (Kafka 2.8 and 3.x: a 3-node ZooKeeper
#                      ensemble and 3 brokers); a cluster's state dir records its own
#   KSE_PORT_OFFSET    added to every port (default 0): a second, private cluster
#   KSE_JMX_EXPORTER_CONFIG  rules file: broker 1 also runs the JMX exporter agent on 7991
#   KSE_BROKER_HEAP    -Xmx of a broker started now (default 512m; the 10,000-partition benchmark needs more)

KSE_CACHE_DIR=${KSE_CACHE_DIR:-$HOME/.cache/kafka-sidecar-exporter}
KSE_CLUSTER_DIR=${KSE_CLUSTER_DIR:-/tmp/kse-cluster}
KSE_CLUSTER_DIR=${KSE_CLUSTER_DIR%/}
KSE_PORT_OFFSET=${KSE_PORT_OFFSET:-0}
[[ "$KSE_PORT_OFFSET" =~ ^[0-9]+$ ]] || { echo "kafka-cluster: KSE_PORT_OFFSET must be a number" >&2; exit 2; }
[[ "${KSE_KAFKA_MODE:-kraft}" =~ ^(kraft|zookeeper)$ ]] || { echo "kafka-cluster: KSE_KAFKA_MODE is kraft or zookeeper, not '$KSE_KAFKA_MODE'" >&2; exit 2; }

KSE_CLUSTER_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_PREFERRED_VERSION=4.4.0
KAFKA_FALLBACK_VERSION=4.3.1
# ZooKeeper mode: the last line that has it (4.0 removed ZooKeeper).
KAFKA_ZOOKEEPER_VERSION=3.9.1
CLUSTER_HOST=127.0.0.1
CORE_BROKERS=(1 2 3)
EXTRA_BROKERS=(4 5 6 7 8 9)
ZK_NODES=(1 2 3)
START_TIMEOUT=${KSE_START_TIMEOUT:-120}
STOP_TIMEOUT=${KSE_STOP_TIMEOUT:-30}
LOCK_TIMEOUT=${KSE_LOCK_TIMEOUT:-300}
STORE_PASSWORD=changeit

# Secure mode's login services, each in its own file: the OIDC token endpoint
# (OAUTHBEARER) and the Kerberos KDC (GSSAPI); and Kafka Connect with MirrorMaker 2
# from a backup cluster (start-connect, start-mirror).
for service_file in "$KSE_CLUSTER_SCRIPTS/oidc.sh" "$KSE_CLUSTER_SCRIPTS/kerberos.sh" "$KSE_CLUSTER_SCRIPTS/connect.sh"; do
  # shellcheck source=/dev/null
  [[ -f "$service_file" ]] && source "$service_file"
done
unset service_file
# The schema registry (Confluent API, start-registry): cluster/registry.sh.
# shellcheck source=cluster/registry.sh
source "$KSE_CLUSTER_SCRIPTS/registry.sh"

say() { echo "kafka-cluster: $*"; }
warn() { echo "kafka-cluster: $*" >&2; }
die() {
  echo "kafka-cluster: $*" >&2
  exit 1
}

# ---------------------------------------------------------------- ports and paths

client_port() { echo $((9092 + ($1 - 1) * 100 + KSE_PORT_OFFSET)); }
controller_port() { echo $((9093 + ($1 - 1) * 100 + KSE_PORT_OFFSET)); }
external_port() { echo $((9094 + ($1 - 1) * 100 + KSE_PORT_OFFSET)); }
sasl_plaintext_port() { echo $((9095 + ($1 - 1) * 100 + KSE_PORT_OFFSET)); }
# PROXIED listens on proxied_port and advertises proxy_port, where a fault-injecting
# proxy of a test may forward to it: clients bootstrapped there reach every broker
# through the proxy, and nothing else changes.
proxied_port() { echo $((9098 + ($1 - 1) * 100 + KSE_PORT_OFFSET)); }
# Secure mode: SSL with a client certificate required (mutual TLS), the certificate's
# subject is the principal.
mtls_port() { echo $((9099 + ($1 - 1) * 100 + KSE_PORT_OFFSET)); }
proxy_port() { echo $((19098 + ($1 - 1) * 100 + KSE_PORT_OFFSET)); }
jolokia_port() { echo $((8777 + $1 + KSE_PORT_OFFSET)); }
jmx_exporter_port() { echo $((7991 + KSE_PORT_OFFSET)); }
node_dir() { echo "$KSE_CLUSTER_DIR/broker-$1"; }
log_dir() { echo "$KSE_CLUSTER_DIR/broker-$1/logs"; }
pid_file() { echo "$KSE_CLUSTER_DIR/broker-$1/pid"; }
config_file() { echo "$KSE_CLUSTER_DIR/broker-$1/server.properties"; }
certs_dir() { echo "$KSE_CLUSTER_DIR/certs"; }

# ZooKeeper mode: node N of the ensemble serves clients on 2180+N, talks to its peers
# on 2887+N (quorum) and 3887+N (leader election).
zk_client_port() { echo $((2180 + $1 + KSE_PORT_OFFSET)); }
zk_quorum_port() { echo $((2887 + $1 + KSE_PORT_OFFSET)); }
zk_election_port() { echo $((3887 + $1 + KSE_PORT_OFFSET)); }
zk_dir() { echo "$KSE_CLUSTER_DIR/zookeeper-$1"; }
zk_config_file() { echo "$KSE_CLUSTER_DIR/zookeeper-$1/zoo.cfg"; }
zk_pid_file() { echo "$KSE_CLUSTER_DIR/zookeeper-$1/pid"; }
zookeeper_connect() { join_ports zk_client_port "${ZK_NODES[@]}"; }

join_ports() { # join_ports FUNCTION ID... -> 127.0.0.1:p1,127.0.0.1:p2
  local fn=$1 out="" id
  shift
  for id in "$@"; do out+="${out:+,}$CLUSTER_HOST:$($fn "$id")"; done
  echo "$out"
}
quorum_voters() {
  local out="" id
  for id in "${CORE_BROKERS[@]}"; do out+="${out:+,}$id@$CLUSTER_HOST:$(controller_port "$id")"; done
  echo "$out"
}
bootstrap() { join_ports client_port "${CORE_BROKERS[@]}"; }

require_broker_arg() {
  [[ $# -ge 1 && "$1" =~ ^[1-9]$ ]] || die "expected a broker id 1..9, got '${1:-}'"
}

require_zk_arg() {
  [[ $# -ge 1 && " ${ZK_NODES[*]} " == *" ${1:-x} "* ]] || die "expected a ZooKeeper node id 1..3, got '${1:-}'"
}

# ---------------------------------------------------------------- mode

# The mode of the cluster in the state dir: recorded by start, KRaft for a state dir
# from before the record existed, else the one asked for.
cluster_mode() {
  if [[ -f "$KSE_CLUSTER_DIR/mode" ]]; then
    cat "$KSE_CLUSTER_DIR/mode"
  elif [[ -f "$(config_file 1)" ]]; then
    echo kraft
  else
    echo "${KSE_KAFKA_MODE:-kraft}"
  fi
}
is_zookeeper() { [[ "$(cluster_mode)" == zookeeper ]]; }

# A state dir made in one mode is never started in the other: its brokers' configs
# and data belong to that mode. Only an explicit KSE_KAFKA_MODE can disagree.
refuse_other_mode() {
  [[ -n "${KSE_KAFKA_MODE:-}" && -d "$KSE_CLUSTER_DIR" ]] || return 0
  local recorded
  recorded=$(cluster_mode)
  [[ "$recorded" == "$KSE_KAFKA_MODE" ]] ||
    die "the cluster in $KSE_CLUSTER_DIR is in $recorded mode, not $KSE_KAFKA_MODE; 'stop' it and 'start' a fresh one to change the mode"
}

# Kafka 4 removed ZooKeeper; Kafka 2.8 had KRaft only as an early access.
check_mode_version() { # check_mode_version MODE VERSION
  local mode=$1 version=$2
  case "$mode:${version%%.*}" in
    zookeeper:[4-9] | zookeeper:[1-9][0-9]*)
      die "Kafka $version has no ZooKeeper mode (Kafka 4.0 removed it): use KSE_KAFKA_VERSION=$KAFKA_ZOOKEEPER_VERSION (or 2.8.2) with KSE_KAFKA_MODE=zookeeper" ;;
    kraft:[0-2])
      die "Kafka $version runs here in ZooKeeper mode only: KSE_KAFKA_MODE=zookeeper" ;;
  esac
  if [[ "$mode" == zookeeper ]]; then
    compgen -G "$KAFKA_LIBS/zookeeper-[0-9]*.jar" >/dev/null ||
      die "no ZooKeeper jar among the Kafka $version jars in $KAFKA_LIBS"
  fi
}

# ---------------------------------------------------------------- fetching the jars

kafka_home() { echo "$KSE_CACHE_DIR/kafka-$1"; }
stamp_file() { echo "$KSE_CACHE_DIR/kafka-$1/.fetched"; }

# What the stamp must say: any change to the pom (versions, artifacts) refetches.
stamp_content() { echo "kafka $1 pom $(sha256sum "$KSE_CLUSTER_SCRIPTS/pom.xml" | cut -c1-16)"; }

fetched() {
  local version=$1 home
  home=$(kafka_home "$version")
  [[ -f "$(stamp_file "$version")" && "$(cat "$(stamp_file "$version")")" == "$(stamp_content "$version")" ]] &&
    [[ -f "$home/libs/kafka_2.13-$version.jar" ]] &&
    compgen -G "$home/agents/jolokia-agent-jvm-*-javaagent.jar" >/dev/null &&
    compgen -G "$home/agents/jmx_prometheus_javaagent-*.jar" >/dev/null
}

# Makes DEST hold exactly the files of SRC, one atomic rename per changed file, so
# brokers running from DEST never see a missing jar; then removes SRC.
sync_dir() {
  local src=$1 dest=$2 file name
  local -A wanted=()
  mkdir -p "$dest"
  for file in "$src"/*; do
    name=${file##*/}
    wanted[$name]=1
    cmp -s "$file" "$dest/$name" || mv -f "$file" "$dest/$name"
  done
  for file in "$dest"/*; do
    [[ -n "${wanted[${file##*/}]:-}" ]] || rm -f "$file"
  done
  rm -rf "$src"
}

fetch_version() {
  local version=$1 home
  home=$(kafka_home "$version")
  mkdir -p "$home"
  rm -rf "$home/libs.partial" "$home/agents.partial"
  command -v mvn >/dev/null || die "mvn is missing (scripts/install-deps installs it)"
  echo "kafka-cluster: fetching Kafka $version and the agents from Maven Central into $home" >&2
  # With the connectors (connect-file, connect-mirror) of this release, else without
  # them: the brokers and tools never lose their version over a connector jar (Maven
  # Central lacks 4.4.0's; cluster/connect.sh then runs Connect of the fallback release).
  local plugins
  for plugins in "$version" none; do
    local plugin_args=()
    [[ "$plugins" == none ]] && plugin_args=(-Dkse.connect.plugins.skip=true)
    rm -rf "$home/libs.partial" "$home/agents.partial"
    if timeout 900 mvn -q -B -Dstyle.color=never -f "$KSE_CLUSTER_SCRIPTS/pom.xml" \
      dependency:copy-dependencies@libs dependency:copy-dependencies@agents \
      -Dkafka.version="$version" -Dkafka.line="${version%%.*}" -Dkse.libs.dir="$home/libs.partial" \
      -Dkse.agents.dir="$home/agents.partial" "${plugin_args[@]}" >"$home/fetch.log" 2>&1; then
      break
    fi
    # Another failure than a missing connector jar is Kafka's own: no retry helps.
    if [[ "$plugins" == none ]] ||
      ! grep -qE 'org\.apache\.kafka:connect-(file|mirror|mirror-client):jar' "$home/fetch.log"; then
      rm -rf "$home/libs.partial" "$home/agents.partial"
      return 1
    fi
    warn "Kafka $version: no connect-file/connect-mirror $version on Maven Central; fetching Kafka without them"
  done
  [[ -f "$home/libs.partial/kafka_2.13-$version.jar" ]] || return 1
  sync_dir "$home/libs.partial" "$home/libs"
  sync_dir "$home/agents.partial" "$home/agents"
  # The release of the connector jars on that classpath: its own, or "none".
  echo "$plugins" >"$home/connect-plugins-version"
  stamp_content "$version" >"$(stamp_file "$version")"
  rm -f "$home/fetch.log" "$home/.complete"
}

# Sets KAFKA_VERSION, KAFKA_LIBS, JOLOKIA_JAR, JMX_EXPORTER_JAR; fetches once.
fetch_kafka() {
  local candidates version
  if [[ -n "${KSE_KAFKA_VERSION:-}" ]]; then
    candidates=("$KSE_KAFKA_VERSION")
  elif [[ -f "$KSE_CLUSTER_DIR/kafka-version" && -n "$(running_core_brokers)$(running_zk_nodes)" ]]; then
    # Tools and restarted brokers of a running cluster are of its version.
    candidates=("$(cat "$KSE_CLUSTER_DIR/kafka-version")")
  elif [[ "${KSE_KAFKA_MODE:-}" == zookeeper ]]; then
    candidates=("$KAFKA_ZOOKEEPER_VERSION")
  else
    candidates=("$KAFKA_PREFERRED_VERSION" "$KAFKA_FALLBACK_VERSION")
  fi
  KAFKA_VERSION=""
  for version in "${candidates[@]}"; do
    if fetched "$version"; then
      KAFKA_VERSION=$version
      break
    fi
  done
  if [[ -z "$KAFKA_VERSION" ]]; then
    mkdir -p "$KSE_CACHE_DIR"
    # One fetch at a time; whoever waited finds the stamp.
    exec 8>"$KSE_CACHE_DIR/.fetch.lock"
    flock -w 900 8 || die "another fetch holds $KSE_CACHE_DIR/.fetch.lock"
    for version in "${candidates[@]}"; do
      if fetched "$version" || fetch_version "$version"; then
        KAFKA_VERSION=$version
        break
      fi
      warn "Kafka $version could not be fetched: $(grep -m3 -E 'ERROR|Could not' "$(kafka_home "$version")/fetch.log" 2>/dev/null | head -3)"
    done
    exec 8>&-
    [[ -n "$KAFKA_VERSION" ]] || die "could not fetch Kafka (${candidates[*]}) with mvn; see $KSE_CACHE_DIR/kafka-*/fetch.log"
  fi
  local home
  home=$(kafka_home "$KAFKA_VERSION")
  KAFKA_LIBS="$home/libs"
  JOLOKIA_JAR=$(compgen -G "$home/agents/jolokia-agent-jvm-*-javaagent.jar" | sort -V | tail -1)
  JMX_EXPORTER_JAR=$(compgen -G "$home/agents/jmx_prometheus_javaagent-*.jar" | sort -V | tail -1)
}

# Runs one of Kafka's Java entry points with a small, quick, quiet JVM (WARN to
# stderr): run_kafka_class [--exec | --timeout SECONDS] MAIN_CLASS ARGS...
run_kafka_class() {
  local limit=()
  if [[ "${1:-}" == --timeout ]]; then
    limit=(timeout -k 5 "$2")
    shift 2
  elif [[ "${1:-}" == --exec ]]; then
    limit=(exec)
    shift
  fi
  local main_class=$1
  shift
  # shellcheck disable=SC2086
  "${limit[@]}" java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Djava.awt.headless=true ${KSE_TOOL_JAVA_OPTS:-} \
    -Dlog4j.configuration="file:$KSE_CLUSTER_SCRIPTS/tools-log4j.properties" \
    -Dlog4j2.configurationFile="$KSE_CLUSTER_SCRIPTS/tools-log4j2.properties" \
    -cp "$KAFKA_LIBS/*" "$main_class" "$@"
}

# ---------------------------------------------------------------- Kafka's tools

# TOOL CLASS [MAJOR:CLASS]...: the main class of each of Kafka's tools in the
# versions run here (2.8.2, 3.9.1, 4.x): the first class is Kafka 2.8's, MAJOR:CLASS
# the one from that line on ("-": no such tool). Some tools moved within 3.x: before
# 3.9 a class may be another one.
kafka_tools() {
  cat <<'TOOLS'
kafka-topics                 kafka.admin.TopicCommand  3:org.apache.kafka.tools.TopicCommand
kafka-consumer-groups        kafka.admin.ConsumerGroupCommand  3:org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
kafka-log-dirs               kafka.admin.LogDirsCommand  3:org.apache.kafka.tools.LogDirsCommand
kafka-configs                kafka.admin.ConfigCommand  4:org.apache.kafka.tools.ConfigCommand
kafka-metadata-quorum        -  3:org.apache.kafka.tools.MetadataQuorumCommand
kafka-transactions           -  3:org.apache.kafka.tools.TransactionsCommand
kafka-console-producer       kafka.tools.ConsoleProducer  4:org.apache.kafka.tools.ConsoleProducer
kafka-console-consumer       kafka.tools.ConsoleConsumer  3:org.apache.kafka.tools.consumer.ConsoleConsumer
kafka-console-share-consumer -  4:org.apache.kafka.tools.consumer.ConsoleShareConsumer
kafka-share-groups           -  4:org.apache.kafka.tools.consumer.group.ShareGroupCommand
kafka-storage                kafka.tools.StorageTool
kafka-broker-api-versions    kafka.admin.BrokerApiVersionsCommand  4:org.apache.kafka.tools.BrokerApiVersionsCommand
kafka-get-offsets            kafka.tools.GetOffsetShell  3:org.apache.kafka.tools.GetOffsetShell
kafka-reassign-partitions    kafka.admin.ReassignPartitionsCommand  3:org.apache.kafka.tools.reassign.ReassignPartitionsCommand
kafka-producer-perf-test     org.apache.kafka.tools.ProducerPerformance
kafka-consumer-perf-test     kafka.tools.ConsumerPerformance  3:org.apache.kafka.tools.ConsumerPerformance
kafka-acls                   kafka.admin.AclCommand  4:org.apache.kafka.tools.AclCommand
kafka-leader-election        kafka.admin.LeaderElectionCommand  3:org.apache.kafka.tools.LeaderElectionCommand
kafka-features               kafka.admin.FeatureCommand  3:org.apache.kafka.tools.FeatureCommand
kafka-delete-records         kafka.admin.DeleteRecordsCommand  3:org.apache.kafka.tools.DeleteRecordsCommand
kafka-dump-log               kafka.tools.DumpLogSegments  4:org.apache.kafka.tools.DumpLogSegments
kafka-metadata-shell         -  3:org.apache.kafka.shell.MetadataShell
kafka-client-metrics         -  3:org.apache.kafka.tools.ClientMetricsCommand
kafka-delegation-tokens      kafka.admin.DelegationTokenCommand  3:org.apache.kafka.tools.DelegationTokenCommand
kafka-e2e-latency            kafka.tools.EndToEndLatency  3:org.apache.kafka.tools.EndToEndLatency
kafka-verifiable-producer    org.apache.kafka.tools.VerifiableProducer
kafka-verifiable-consumer    org.apache.kafka.tools.VerifiableConsumer
kafka-cluster                kafka.tools.ClusterTool  3:org.apache.kafka.tools.ClusterTool
kafka-jmx                    kafka.tools.JmxTool  3:org.apache.kafka.tools.JmxTool
zookeeper-shell              org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka  4:-
TOOLS
}

# The main class of TOOL in Kafka VERSION; "-" when that version has no such tool,
# nothing for an unknown tool.
tool_class() { # tool_class TOOL VERSION
  kafka_tools | awk -v t="${1%.sh}" -v major="${2%%.*}" '
    $1 == t {
      class = $2
      for (i = 3; i <= NF; i++) { split($i, a, ":"); if (major + 0 >= a[1] + 0) class = a[2] }
      print class
    }'
}

# Runs TOOL of the fetched Kafka (fetch_kafka first): run_kafka_tool [--exec | --timeout S] TOOL ARGS...
run_kafka_tool() {
  local limit=()
  if [[ "${1:-}" == --timeout ]]; then
    limit=("$1" "$2")
    shift 2
  elif [[ "${1:-}" == --exec ]]; then
    limit=("$1")
    shift
  fi
  local tool=$1 main
  shift
  main=$(tool_class "$tool" "$KAFKA_VERSION")
  [[ -n "$main" ]] || die "unknown tool '$tool'"
  [[ "$main" != - ]] || die "Kafka $KAFKA_VERSION has no $tool"
  # As Kafka's zookeeper-shell.sh: the first argument is the server.
  [[ "${tool%.sh}" == zookeeper-shell ]] && set -- -server "$@"
  # Kafka 2.x's GetOffsetShell names the brokers --broker-list; 3.0 added --bootstrap-server.
  if [[ "${tool%.sh}" == kafka-get-offsets && "$main" == kafka.tools.GetOffsetShell ]]; then
    local args=() arg
    for arg in "$@"; do [[ "$arg" == --bootstrap-server ]] && args+=(--broker-list) || args+=("$arg"); done
    set -- "${args[@]}"
  fi
  run_kafka_class "${limit[@]}" "$main" "$@"
}

# ---------------------------------------------------------------- processes

# A process is ours when its command line names a file of this state dir: a broker its own
# server.properties, a ZooKeeper node its own zoo.cfg.
broker_marker() { echo " kafka.Kafka $(config_file "$1")"; }
zk_marker() { echo " org.apache.zookeeper.server.quorum.QuorumPeerMain $(zk_config_file "$1")"; }

# The live process recorded in FILE, if its command line contains MARKER.
recorded_pid() { # recorded_pid FILE MARKER
  local pid cmdline
  [[ -f "$1" ]] || return 1
  pid=$(<"$1")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ "$cmdline" == *"$2"* ]] || return 1
  echo "$pid"
}

broker_pid() { recorded_pid "$(pid_file "$1")" "$(broker_marker "$1")"; }
zk_pid() { recorded_pid "$(zk_pid_file "$1")" "$(zk_marker "$1")"; }

# Processes of this state dir whose command line matches the glob PATTERN, with or without a
# pid file.
pids_matching() { # pids_matching PATTERN
  local proc cmdline
  for proc in /proc/[0-9]*; do
    cmdline=$(tr '\0' ' ' 2>/dev/null <"$proc/cmdline") || continue
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ "$cmdline" == $1 ]] && echo "${proc#/proc/}"
  done
  return 0
}

state_dir_pids() { pids_matching "* kafka.Kafka $KSE_CLUSTER_DIR/broker-[0-9]/server.properties*"; }
zk_state_dir_pids() {
  pids_matching "* org.apache.zookeeper.server.quorum.QuorumPeerMain $KSE_CLUSTER_DIR/zookeeper-[0-9]/zoo.cfg*"
}

running_zk_nodes() {
  local id
  for id in "${ZK_NODES[@]}"; do zk_pid "$id" >/dev/null && echo "$id"; done
  return 0
}

# A four-letter word (srvr, mntr, ruok, dump: the ones zoo.cfg allows) to node ID's client port.
zk_four_letter() { # zk_four_letter ID WORD
  # shellcheck disable=SC2016 # expanded by the inner shell
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf %s "$2" >&3 && cat <&3' \
    "$CLUSTER_HOST" "$(zk_client_port "$1")" "$2" 2>/dev/null
}

# leader, follower, standalone; "not serving" while it has no quorum; "no answer".
zk_role() {
  local answer
  answer=$(zk_four_letter "$1" srvr) || true
  if [[ "$answer" =~ Mode:\ ([a-z-]+) ]]; then
    echo "${BASH_REMATCH[1]}"
  elif [[ "$answer" == *"not currently serving"* ]]; then
    echo "not serving"
  else
    echo "no answer"
  fi
}
zk_serving() { [[ "$(zk_role "$1")" =~ ^(leader|follower|standalone|observer)$ ]]; }

# A broker that crashed stays registered (/brokers/ids/N, an ephemeral node) until
# its ZooKeeper session expires (zookeeper.session.timeout.ms, 18 s); started before
# then, it exits with NodeExistsException. Waits until the leader's list of
# ephemeral nodes no longer has it; without a leader the start itself will tell.
wait_registration_gone() { # wait_registration_gone ID SECONDS
  local id=$1 deadline=$((SECONDS + $2)) node leader said=0
  while ((SECONDS < deadline)); do
    leader=""
    for node in "${ZK_NODES[@]}"; do
      if [[ "$(zk_role "$node")" == leader ]]; then
        leader=$node
        break
      fi
    done
    [[ -n "$leader" ]] || return 0
    grep -qx "[[:space:]]*/brokers/ids/$id" <<<"$(zk_four_letter "$leader" dump)" || return 0
    ((said++)) || say "broker $id is still registered in ZooKeeper (its old session has not expired): waiting"
    sleep 0.5
  done
  warn "broker $id still registered in ZooKeeper after $2s"
}

process_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
broker_paused() {
  local pid
  pid=$(broker_pid "$1") && [[ "$(process_state "$pid")" == T ]]
}

port_open() { (exec 3<>"/dev/tcp/$CLUSTER_HOST/$1") 2>/dev/null; }

port_owner() { # the process listening on PORT, for error messages
  ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -1
}

# Broker ids in the metadata answered by the broker on PORT ("1 2 3 ").
registered_brokers() {
  local port=$1
  if command -v kcat >/dev/null; then
    timeout 10 kcat -L -b "$CLUSTER_HOST:$port" -m 5 2>/dev/null |
      sed -n 's/^ *broker \([0-9]*\) at .*/\1/p' | sort -n | tr '\n' ' '
  else
    timeout 30 "$KSE_CLUSTER_SCRIPTS/kafka-tool" kafka-broker-api-versions \
      --bootstrap-server "$CLUSTER_HOST:$port" 2>/dev/null |
      sed -n 's/.*(id: \([0-9]*\) rack.*/\1/p' | sort -n | tr '\n' ' '
  fi
}

# A broker is ready when it answers on its client port and lists itself, i.e. it is
# registered with the controller quorum and unfenced.
broker_ready() {
  local port
  port=$(client_port "$1")
  port_open "$port" && [[ " $(registered_brokers "$port")" == *" $1 "* ]]
}

broker_log_tail() {
  local id=$1 lines=${2:-25}
  echo "--- $(log_dir "$id")/server.log (last $lines lines)"
  tail -n "$lines" "$(log_dir "$id")/server.log" 2>/dev/null || echo "(no server.log)"
  if [[ -s "$(log_dir "$id")/stdout.log" ]]; then
    echo "--- $(log_dir "$id")/stdout.log (last 10 lines)"
    tail -n 10 "$(log_dir "$id")/stdout.log"
  fi
}

# Waits until every given broker is ready; fails fast when one exits.
wait_brokers_ready() { # wait_brokers_ready SECONDS ID...
  local seconds=$1 id
  shift
  local deadline=$((SECONDS + seconds)) pending=("$@")
  while ((${#pending[@]} > 0)); do
    local still=()
    for id in "${pending[@]}"; do
      broker_pid "$id" >/dev/null || die "broker $id exited during start-up
$(broker_log_tail "$id")"
      broker_ready "$id" || still+=("$id")
    done
    pending=("${still[@]}")
    ((${#pending[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      local report="" 
      for id in "${pending[@]}"; do report+=$'\n'"$(broker_log_tail "$id")"; done
      die "broker(s) ${pending[*]} not ready after ${seconds}s (port $(client_port "${pending[0]}"))$report"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- configuration

# Secure mode: the marker file, or an upgrade in progress (the marker comes last).
is_secure() { [[ "${UPGRADING_TO_SECURE:-0}" == 1 || -f "$KSE_CLUSTER_DIR/secure" ]]; }

# The login services secure mode runs here: oidc (the token endpoint OAUTHBEARER
# validates against, Kafka 3.1 and later), kerberos (a KDC for GSSAPI, when the MIT
# KDC is installed). Each one's file says whether this Kafka and this machine have it.
login_services() {
  local service
  for service in oidc kerberos; do
    declare -F "${service}_supported" >/dev/null && "${service}_supported" && echo "$service"
  done
  return 0
}

# The SASL mechanisms of the secure listeners.
secure_mechanisms() {
  local mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512 service
  for service in $(login_services); do
    case "$service" in
      oidc) mechanisms+=,OAUTHBEARER ;;
      kerberos) mechanisms+=,GSSAPI ;;
    esac
  done
  echo "$mechanisms"
}

secure_summary() {
  echo "SASL_SSL on $(join_ports external_port "${CORE_BROKERS[@]}"), SASL_PLAINTEXT on $(join_ports sasl_plaintext_port "${CORE_BROKERS[@]}") ($(secure_mechanisms)), mutual TLS on $(join_ports mtls_port "${CORE_BROKERS[@]}")"
}

# Started before any broker of secure mode starts (the brokers log in to the KDC and
# fetch the token endpoint's keys); each start does nothing when already running.
secure_services_start() {
  local service
  for service in $(login_services); do "${service}_start"; done
}

secure_services_stop() {
  local service
  for service in oidc kerberos; do
    if declare -F "${service}_stop" >/dev/null; then "${service}_stop" || true; fi
  done
}

# ROLES is KRaft's process.roles; a broker of ZooKeeper mode has none.
write_broker_config() { # write_broker_config ID [ROLES]
  local id=$1 roles=${2:-} dir zookeeper=0
  is_zookeeper && zookeeper=1
  dir=$(node_dir "$id")
  mkdir -p "$dir/data" "$(log_dir "$id")"
  local listeners advertised
  listeners="PLAINTEXT://$CLUSTER_HOST:$(client_port "$id"),PROXIED://$CLUSTER_HOST:$(proxied_port "$id")"
  advertised="PLAINTEXT://$CLUSTER_HOST:$(client_port "$id"),PROXIED://$CLUSTER_HOST:$(proxy_port "$id")"
  local protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT"
  ((zookeeper)) && protocol_map="PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT"
  [[ "$roles" == *controller* ]] && listeners+=",CONTROLLER://$CLUSTER_HOST:$(controller_port "$id")"
  if is_secure; then
    local secure_listeners
    secure_listeners="EXTERNAL://$CLUSTER_HOST:$(external_port "$id")"
    secure_listeners+=",SASL_PLAINTEXT://$CLUSTER_HOST:$(sasl_plaintext_port "$id")"
    secure_listeners+=",MTLS://$CLUSTER_HOST:$(mtls_port "$id")"
    listeners+=",$secure_listeners"
    advertised+=",$secure_listeners"
    protocol_map+=",EXTERNAL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,MTLS:SSL"
  fi
  local identity
  if ((zookeeper)); then
    identity="# Broker $id of the local test cluster (cluster/kafka-cluster), ZooKeeper mode.
broker.id=$id
zookeeper.connect=$(zookeeper_connect)"
  else
    identity="# Broker $id of the local test cluster (cluster/kafka-cluster), KRaft ${roles/,/ + } node.
process.roles=$roles
node.id=$id
controller.quorum.voters=$(quorum_voters)
controller.listener.names=CONTROLLER"
  fi
  cat >"$dir/server.properties" <<EOF
$identity
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocol_map
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

# Two cores for three brokers: few threads.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.retention.check.interval.ms=30000
EOF
  if is_secure; then
    local certs listener sasl_listeners="" mechanisms service
    certs=$(certs_dir)
    mechanisms=$(secure_mechanisms)
    # KRaft keeps ACLs in the metadata log, ZooKeeper mode in ZooKeeper.
    local authorizer=org.apache.kafka.metadata.authorizer.StandardAuthorizer
    ((zookeeper)) && authorizer=kafka.security.authorizer.AclAuthorizer
    for listener in external sasl_plaintext; do
      sasl_listeners+="listener.name.$listener.sasl.enabled.mechanisms=$mechanisms
listener.name.$listener.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";
listener.name.$listener.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.$listener.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
"
      for service in $(login_services); do
        sasl_listeners+="$("${service}_listener_config" "$listener")
"
      done
    done
    cat >>"$dir/server.properties" <<EOF

# Workshop 7: EXTERNAL is SASL_SSL (PLAIN users admin and alice, SCRAM user
# scram-user, and OAUTHBEARER and GSSAPI when their services run), SASL_PLAINTEXT
# offers the same logins without TLS, MTLS takes only clients with a certificate of
# the cluster's CA (the principal is its subject, e.g. User:CN=client), PLAINTEXT and
# CONTROLLER stay open for the tooling.
sasl.enabled.mechanisms=$mechanisms
$sasl_listeners
listener.name.mtls.ssl.client.auth=required
ssl.keystore.type=PKCS12
ssl.keystore.location=$certs/broker.p12
ssl.keystore.password=$STORE_PASSWORD
ssl.key.password=$STORE_PASSWORD
ssl.truststore.type=PKCS12
ssl.truststore.location=$certs/truststore.p12
ssl.truststore.password=$STORE_PASSWORD
ssl.client.auth=requested

# ACLs as in the course: admin and the brokers themselves (ANONYMOUS on the
# PLAINTEXT and CONTROLLER listeners) are super users; no ACL means allowed.
authorizer.class.name=$authorizer
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=true
EOF
  fi
}

write_log4j_config() {
  cat >"$KSE_CLUSTER_DIR/log4j.properties" <<'EOF'
# Broker logs: server.log (everything), state-change.log, controller.log.
log4j.rootLogger=INFO, server
log4j.appender.server=org.apache.log4j.RollingFileAppender
log4j.appender.server.File=${kafka.logs.dir}/server.log
log4j.appender.server.MaxFileSize=20MB
log4j.appender.server.MaxBackupIndex=2
log4j.appender.server.layout=org.apache.log4j.PatternLayout
log4j.appender.server.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.stateChange=org.apache.log4j.RollingFileAppender
log4j.appender.stateChange.File=${kafka.logs.dir}/state-change.log
log4j.appender.stateChange.MaxFileSize=10MB
log4j.appender.stateChange.MaxBackupIndex=1
log4j.appender.stateChange.layout=org.apache.log4j.PatternLayout
log4j.appender.stateChange.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.controller=org.apache.log4j.RollingFileAppender
log4j.appender.controller.File=${kafka.logs.dir}/controller.log
log4j.appender.controller.MaxFileSize=10MB
log4j.appender.controller.MaxBackupIndex=1
log4j.appender.controller.layout=org.apache.log4j.PatternLayout
log4j.appender.controller.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.metadata.authorizer=WARN
log4j.logger.state.change.logger=INFO, stateChange
log4j.logger.org.apache.kafka.controller=INFO, controller
log4j.logger.kafka.controller=INFO, controller
EOF
  # Kafka 4 logs through log4j 2: the same three files.
  cat >"$KSE_CLUSTER_DIR/log4j2.properties" <<'EOF'
rootLogger.level=INFO
rootLogger.appenderRef.server.ref=server
appender.server.type=RollingFile
appender.server.name=server
appender.server.fileName=${sys:kafka.logs.dir}/server.log
appender.server.filePattern=${sys:kafka.logs.dir}/server.log.%i
appender.server.layout.type=PatternLayout
appender.server.layout.pattern=[%d] %p %m (%c)%n
appender.server.policies.type=Policies
appender.server.policies.size.type=SizeBasedTriggeringPolicy
appender.server.policies.size.size=20MB
appender.server.strategy.type=DefaultRolloverStrategy
appender.server.strategy.max=2
appender.stateChange.type=File
appender.stateChange.name=stateChange
appender.stateChange.fileName=${sys:kafka.logs.dir}/state-change.log
appender.stateChange.layout.type=PatternLayout
appender.stateChange.layout.pattern=[%d] %p %m (%c)%n
appender.controller.type=File
appender.controller.name=controller
appender.controller.fileName=${sys:kafka.logs.dir}/controller.log
appender.controller.layout.type=PatternLayout
appender.controller.layout.pattern=[%d] %p %m (%c)%n
logger.request.name=kafka.request.logger
logger.request.level=WARN
logger.authorizer.name=kafka.authorizer.logger
logger.authorizer.level=WARN
logger.metadataAuthorizer.name=org.apache.kafka.metadata.authorizer
logger.metadataAuthorizer.level=WARN
logger.stateChange.name=state.change.logger
logger.stateChange.level=INFO
logger.stateChange.appenderRef.stateChange.ref=stateChange
logger.controller.name=org.apache.kafka.controller
logger.controller.level=INFO
logger.controller.appenderRef.controller.ref=controller
logger.kafkaController.name=kafka.controller
logger.kafkaController.level=INFO
logger.kafkaController.appenderRef.controller.ref=controller
EOF
}

# A CA, one broker certificate valid for 127.0.0.1 and localhost, PKCS12 stores for
# the brokers, PEM files and client property files for clients.
generate_certificates() {
  local certs
  certs=$(certs_dir)
  mkdir -p "$certs"
  (
    set -e
    cd "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=kse-test-ca" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout broker-key.pem -out broker.csr 2>/dev/null
    cat >broker.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EOF
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 365 \
      -extfile broker.ext -out broker.pem 2>/dev/null
    openssl pkcs12 -export -in broker.pem -inkey broker-key.pem -certfile ca.pem \
      -name broker -out broker.p12 -passout "pass:$STORE_PASSWORD"
    keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 \
      -storetype PKCS12 -storepass "$STORE_PASSWORD" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=client" \
      -keyout client-key.pem -out client.csr 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 365 \
      -extfile client.ext -out client.pem 2>/dev/null
    openssl pkcs12 -export -in client.pem -inkey client-key.pem -certfile ca.pem \
      -name client -out client.p12 -passout "pass:$STORE_PASSWORD"
    rm -f ./*.csr ./*.ext ca.srl
    # Property files for Kafka's Java tools (--command-config, --producer.config, ...).
    local name mechanism module user password
    for name in plain-admin plain-alice scram-sha-256 scram-sha-512; do
      case "$name" in
        plain-admin) mechanism=PLAIN user=admin password=admin-secret ;;
        plain-alice) mechanism=PLAIN user=alice password=alice-secret ;;
        scram-sha-256) mechanism=SCRAM-SHA-256 user=scram-user password=scram-secret ;;
        scram-sha-512) mechanism=SCRAM-SHA-512 user=scram-user password=scram-secret ;;
      esac
      module=org.apache.kafka.common.security.plain.PlainLoginModule
      [[ "$mechanism" == SCRAM* ]] && module=org.apache.kafka.common.security.scram.ScramLoginModule
      cat >"client-$name.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=$mechanism
sasl.jaas.config=$module required username="$user" password="$password";
ssl.truststore.type=PKCS12
ssl.truststore.location=$certs/truststore.p12
ssl.truststore.password=$STORE_PASSWORD
EOF
    done
  ) || die "could not generate the certificates in $certs"
}

# `kafka-storage format`: the SCRAM user exists from the first metadata record on.
format_storage() { # format_storage ID CLUSTER_ID
  local id=$1 cluster_id=$2
  local args=(format -t "$cluster_id" -c "$(config_file "$id")" --ignore-formatted)
  if is_secure && [[ " ${CORE_BROKERS[*]} " == *" $id "* ]]; then
    args+=(--add-scram 'SCRAM-SHA-256=[name=scram-user,password=scram-secret]'
      --add-scram 'SCRAM-SHA-512=[name=scram-user,password=scram-secret]')
  fi
  run_kafka_class --timeout 120 kafka.tools.StorageTool "${args[@]}" >"$(log_dir "$id")/format.log" 2>&1 ||
    die "kafka-storage format failed for broker $id:
$(tail -5 "$(log_dir "$id")/format.log")"
}

# Kafka's Uuid.randomUuid(): 16 random bytes, URL-safe base64 without padding, never
# starting with '-' (it would read as an option).
random_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ "$id" != -* && ${#id} == 22 ]] && break
  done
  echo "$id"
}

# ---------------------------------------------------------------- broker lifecycle

broker_start() {
  local id=$1
  [[ -f "$(config_file "$id")" ]] || die "broker $id has no configuration in $(node_dir "$id"); run 'kafka-cluster start' (or add-broker $id) first"
  broker_pid "$id" >/dev/null && return 0
  is_zookeeper && wait_registration_gone "$id" 40
  local port
  for port in "$(client_port "$id")" "$(jolokia_port "$id")"; do
    port_open "$port" && die "cannot start broker $id: port $port is in use by $(port_owner "$port")"
  done
  local agents=("-javaagent:$JOLOKIA_JAR=host=$CLUSTER_HOST,port=$(jolokia_port "$id"),discoveryEnabled=false")
  # Broker 1 runs the JMX exporter agent when KSE_JMX_EXPORTER_CONFIG names rules;
  # when the variable is not set at all, a restart keeps what the broker had.
  if [[ "$id" == 1 ]]; then
    local rules record
    record="$(node_dir "$id")/jmx-exporter-config"
    if [[ -n "${KSE_JMX_EXPORTER_CONFIG+set}" ]]; then
      rules=$KSE_JMX_EXPORTER_CONFIG
    else
      rules=$(cat "$record" 2>/dev/null || true)
    fi
    if [[ -n "$rules" ]]; then
      [[ -r "$rules" ]] || die "KSE_JMX_EXPORTER_CONFIG: cannot read $rules"
      rules=$(cd "$(dirname "$rules")" && pwd)/$(basename "$rules")
      port_open "$(jmx_exporter_port)" && die "cannot start broker 1 with the JMX exporter: port $(jmx_exporter_port) is in use by $(port_owner "$(jmx_exporter_port)")"
      agents+=("-javaagent:$JMX_EXPORTER_JAR=$CLUSTER_HOST:$(jmx_exporter_port):$rules")
      echo "$rules" >"$record"
    else
      rm -f "$record"
    fi
  fi
  local login_options=() service
  if is_secure; then
    for service in $(login_services); do
      mapfile -t -O "${#login_options[@]}" login_options < <("${service}_jvm_options")
    done
  fi
  local logs pidf
  logs=$(log_dir "$id")
  pidf=$(pid_file "$id")
  mkdir -p "$logs"
  rm -f "$pidf"
  # setsid: the broker leaves the caller's session and process group, so a test
  # harness that kills its own group (timeout, ctest) leaves the cluster alone.
  # The inner shell writes its own pid and becomes java (exec): the pid file names
  # the broker itself whether or not setsid had to fork. The subshell around it makes
  # the broker a child of init, never of this script. The locks (fd 8, 9) stay here.
  # shellcheck disable=SC2016 # $$ is the inner shell's
  (setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidf" \
    java -Xms256m "-Xmx${KSE_BROKER_HEAP:-512m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Xshare:auto -Djava.awt.headless=true \
    -Dkafka.logs.dir="$logs" -Dlog4j.configuration="file:$KSE_CLUSTER_DIR/log4j.properties" \
    -Dlog4j2.configurationFile="$KSE_CLUSTER_DIR/log4j2.properties" \
    "${login_options[@]}" "${agents[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$(config_file "$id")" \
    >"$logs/stdout.log" 2>&1 </dev/null 9>&- 8>&- &)
  local waited=0
  until [[ -s "$pidf" ]] && broker_pid "$id" >/dev/null; do
    ((waited++ < 100)) || die "broker $id did not start: $(tail -5 "$logs/stdout.log" 2>/dev/null)"
    sleep 0.05
  done
}

broker_signal() { # broker_signal ID SIGNAL
  local pid
  pid=$(broker_pid "$1") || die "broker $1 is not running"
  kill "-$2" "$pid"
}

alive() { local state; state=$(process_state "$1"); [[ -n "$state" && "$state" != Z ]]; }

wait_gone() { # wait_gone PID SECONDS
  local pid=$1 tenths=$(($2 * 10))
  while alive "$pid" && ((tenths-- > 0)); do sleep 0.1; done
  ! alive "$pid"
}

# SIGTERM (a controlled shutdown), at most STOP_TIMEOUT seconds, then SIGKILL.
stop_pid() { # stop_pid PID LABEL
  local pid=$1 label=$2
  kill -CONT "$pid" 2>/dev/null || true # a paused broker cannot act on SIGTERM
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
    warn "$label did not stop within ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || warn "$label (pid $pid) survived SIGKILL"
  fi
}

broker_stop() {
  local id=$1 pid
  if pid=$(broker_pid "$id"); then
    stop_pid "$pid" "broker $id"
  fi
  rm -f "$(pid_file "$id")"
  # The JVM's main thread can be gone (state Z) while its other threads still hold
  # the ports: a restart must not find them taken.
  local port ports=("$(client_port "$id")" "$(jolokia_port "$id")") deadline=$((SECONDS + 30))
  [[ "$id" == 1 ]] && ports+=("$(jmx_exporter_port)")
  for port in "${ports[@]}"; do
    while port_open "$port" && ((SECONDS < deadline)); do sleep 0.2; done
  done
}

broker_kill() {
  local id=$1 pid
  pid=$(broker_pid "$id") || die "broker $id is not running"
  kill -KILL "$pid"
  wait_gone "$pid" 10 || die "broker $id (pid $pid) survived SIGKILL"
  rm -f "$(pid_file "$id")"
}

# ---------------------------------------------------------------- the ZooKeeper ensemble

# Node N of the 3-node ensemble of ZooKeeper mode: data and myid in zookeeper-N/data.
write_zk_config() { # write_zk_config ID
  local id=$1 dir peer servers=""
  dir=$(zk_dir "$id")
  mkdir -p "$dir/data" "$dir/logs"
  echo "$id" >"$dir/data/myid"
  for peer in "${ZK_NODES[@]}"; do
    servers+="server.$peer=$CLUSTER_HOST:$(zk_quorum_port "$peer"):$(zk_election_port "$peer")"$'\n'
  done
  cat >"$(zk_config_file "$id")" <<EOF
# ZooKeeper node $id of the local test cluster (cluster/kafka-cluster), ZooKeeper mode.
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$(zk_client_port "$id")
clientPortAddress=$CLUSTER_HOST
maxClientCnxns=0
# No AdminServer (it would take 8080); the four-letter words that status (srvr) and
# a broker's start (dump: its old registration) use.
admin.enableServer=false
4lw.commands.whitelist=srvr,mntr,ruok,dump
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
$servers
EOF
}

write_zk_log4j_config() {
  cat >"$KSE_CLUSTER_DIR/zookeeper-log4j.properties" <<'EOF'
# ZooKeeper nodes: zookeeper-N/logs/zookeeper.log.
log4j.rootLogger=INFO, zookeeper
log4j.appender.zookeeper=org.apache.log4j.RollingFileAppender
log4j.appender.zookeeper.File=${zookeeper.log.dir}/zookeeper.log
log4j.appender.zookeeper.MaxFileSize=10MB
log4j.appender.zookeeper.MaxBackupIndex=1
log4j.appender.zookeeper.layout=org.apache.log4j.PatternLayout
log4j.appender.zookeeper.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

zk_start() {
  local id=$1 dir port
  dir=$(zk_dir "$id")
  [[ -f "$(zk_config_file "$id")" ]] || die "ZooKeeper node $id has no configuration in $dir; run 'kafka-cluster start' first"
  zk_pid "$id" >/dev/null && return 0
  for port in "$(zk_client_port "$id")" "$(zk_quorum_port "$id")" "$(zk_election_port "$id")"; do
    port_open "$port" && die "cannot start ZooKeeper node $id: port $port is in use by $(port_owner "$port")"
  done
  local pidf
  pidf=$(zk_pid_file "$id")
  mkdir -p "$dir/logs"
  rm -f "$pidf"
  # Detached like a broker (see broker_start).
  # shellcheck disable=SC2016 # $$ is the inner shell's
  (setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidf" \
    java -Xms32m -Xmx128m -XX:+UseSerialGC -Xshare:auto -Djava.awt.headless=true \
    -Dzookeeper.log.dir="$dir/logs" -Dlog4j.configuration="file:$KSE_CLUSTER_DIR/zookeeper-log4j.properties" \
    -cp "$KAFKA_LIBS/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$(zk_config_file "$id")" \
    >"$dir/logs/stdout.log" 2>&1 </dev/null 9>&- 8>&- &)
  local waited=0
  until [[ -s "$pidf" ]] && zk_pid "$id" >/dev/null; do
    ((waited++ < 100)) || die "ZooKeeper node $id did not start: $(tail -5 "$dir/logs/stdout.log" 2>/dev/null)"
    sleep 0.05
  done
}

zk_stop() {
  local id=$1 pid
  if pid=$(zk_pid "$id"); then
    stop_pid "$pid" "ZooKeeper node $id"
  fi
  rm -f "$(zk_pid_file "$id")"
  local port deadline=$((SECONDS + 30))
  for port in "$(zk_client_port "$id")" "$(zk_quorum_port "$id")" "$(zk_election_port "$id")"; do
    while port_open "$port" && ((SECONDS < deadline)); do sleep 0.2; done
  done
}

zk_log_tail() {
  local log
  log="$(zk_dir "$1")/logs/zookeeper.log"
  echo "--- $log (last 25 lines)"
  tail -n 25 "$log" 2>/dev/null || echo "(no zookeeper.log)"
}

# Waits until every given node is ready: each round, a node whose process is gone fails the
# start with its log's end, and past SECONDS the first one still pending does.
wait_nodes_ready() { # wait_nodes_ready SECONDS WHAT PID_FN READY_FN LOG_TAIL_FN ID...
  local seconds=$1 what=$2 pid_fn=$3 ready_fn=$4 log_fn=$5 id
  shift 5
  local deadline=$((SECONDS + seconds)) pending=("$@")
  while ((${#pending[@]} > 0)); do
    local still=()
    for id in "${pending[@]}"; do
      "$pid_fn" "$id" >/dev/null || die "$what $id exited during start-up
$("$log_fn" "$id")"
      "$ready_fn" "$id" || still+=("$id")
    done
    pending=("${still[@]}")
    ((${#pending[@]} == 0)) && break
    ((SECONDS < deadline)) || die "$what(s) ${pending[*]} not ready after ${seconds}s
$("$log_fn" "${pending[0]}")"
    sleep 0.5
  done
}

# Waits until every given node serves (as leader or follower: the ensemble has a quorum).
wait_zk_serving() { # wait_zk_serving SECONDS ID...
  local seconds=$1
  shift
  wait_nodes_ready "$seconds" "ZooKeeper node" zk_pid zk_serving zk_log_tail "$@"
}

# ---------------------------------------------------------------- the lock

# Commands that change the cluster run one at a time (a test fixture and a person
# may both call start). The lock file lives next to the state dir, which start wipes.
take_lock() {
  mkdir -p "$(dirname "$KSE_CLUSTER_DIR")"
  exec 9>"$KSE_CLUSTER_DIR.lock"
  flock -w "$LOCK_TIMEOUT" 9 || die "another kafka-cluster command holds $KSE_CLUSTER_DIR.lock for over ${LOCK_TIMEOUT}s"
}

# ---------------------------------------------------------------- topics

# Every partition of TOPIC has a leader (kcat metadata), or the tool says so.
topic_has_leaders() { # topic_has_leaders TOPIC PARTITIONS [BOOTSTRAP]
  local meta servers=${3:-$(bootstrap)}
  if command -v kcat >/dev/null; then
    meta=$(timeout 10 kcat -L -b "$servers" -t "$1" -m 5 2>/dev/null) || return 1
    [[ $(grep -cE '^ +partition [0-9]+, leader [0-9]+,' <<<"$meta") -ge "$2" ]] &&
      ! grep -q 'Leader not available\|Unknown topic' <<<"$meta"
  else
    meta=$(run_kafka_tool --timeout 60 kafka-topics --bootstrap-server "$servers" \
      --describe --topic "$1" 2>/dev/null) || return 1
    [[ $(grep -cE 'Leader: [0-9]+' <<<"$meta") -ge "$2" ]]
  fi
}

topic_exists() {
  if command -v kcat >/dev/null; then
    timeout 10 kcat -L -b "$(bootstrap)" -t "$1" -m 5 2>/dev/null | grep -q "topic \"$1\" with [1-9]"
  else
    run_kafka_tool --timeout 60 kafka-topics --bootstrap-server "$(bootstrap)" \
      --list 2>/dev/null | grep -qx "$1"
  fi
}

create_topic() { # create_topic NAME PARTITIONS RF [--config k=v]...
  local name=$1 partitions=$2 rf=$3
  shift 3
  topic_exists "$name" && return 0
  local out
  out=$(run_kafka_tool --timeout 120 kafka-topics --bootstrap-server "$(bootstrap)" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor "$rf" "$@" 2>&1) ||
    die "could not create topic $name: $out"
}

# The seed's topics: testing (workshop 1) and position (workshop 2), with leaders.
ensure_seed_topics() {
  create_topic testing 5 2
  create_topic position 5 3 --config min.insync.replicas=2
  # Asked of each broker: a broker's metadata cache learns a new topic a moment
  # after the controller, and clients may ask any of them first.
  local deadline=$((SECONDS + 60)) topic id
  for topic in testing position; do
    for id in "${CORE_BROKERS[@]}"; do
      until topic_has_leaders "$topic" 5 "$CLUSTER_HOST:$(client_port "$id")"; do
        ((SECONDS < deadline)) || die "topic $topic has partitions without a leader on broker $id after 60s"
        sleep 0.5
      done
    done
  done
}

# Every partition has a leader and a full ISR (kcat metadata of all topics).
isr_complete() {
  command -v kcat >/dev/null || return 0
  timeout 10 kcat -L -b "$(bootstrap)" -m 5 2>/dev/null | awk '
    /^ +partition [0-9]+, leader/ {
      seen++
      r = $0; sub(/.*replicas: /, "", r); sub(/, isrs:.*/, "", r)
      i = $0; sub(/.*isrs: /, "", i); sub(/, .*/, "", i)
      if ($0 ~ /leader -1/ || split(r, a, ",") != split(i, b, ",")) bad++
    }
    END { exit (seen == 0 || bad > 0) }'
}

# Restarts the given brokers one by one, each after every ISR is complete again, so
# no partition loses its last in-sync replica (workshop 8's rolling restart).
rolling_restart() {
  local id
  for id in "$@"; do
    local deadline=$((SECONDS + 60))
    until isr_complete; do
      ((SECONDS < deadline)) || {
        warn "ISR still incomplete after 60s; restarting broker $id anyway"
        break
      }
      sleep 1
    done
    broker_stop "$id"
    broker_start "$id"
    wait_brokers_ready "$START_TIMEOUT" "$id"
  done
}

# The SCRAM user of secure mode on a cluster formatted without it.
add_scram_user() {
  local out mechanism
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    out=$(run_kafka_tool --timeout 120 kafka-configs --bootstrap-server "$(bootstrap)" --alter \
      --add-config "$mechanism=[password=scram-secret]" --entity-type users --entity-name scram-user 2>&1) ||
      die "could not create the $mechanism user scram-user: $out"
  done
}

# ZooKeeper mode: the SCRAM user written into ZooKeeper before any broker starts, so
# it exists from the first second as kafka-storage format --add-scram does in KRaft.
add_scram_user_zookeeper() {
  local out
  out=$(run_kafka_tool --timeout 120 kafka-configs --zookeeper "$(zookeeper_connect)" --alter \
    --add-config 'SCRAM-SHA-256=[password=scram-secret],SCRAM-SHA-512=[password=scram-secret]' \
    --entity-type users --entity-name scram-user 2>&1) ||
    die "could not create the SCRAM user scram-user in ZooKeeper: $out"
}

# ---------------------------------------------------------------- commands

running_core_brokers() {
  local id
  for id in "${CORE_BROKERS[@]}"; do broker_pid "$id" >/dev/null && echo "$id"; done
  return 0
}

# ZooKeeper mode: starts the given nodes of the ensemble and waits until they serve.
start_zk_nodes() { # start_zk_nodes ID...
  local id
  for id in "$@"; do zk_start "$id"; done
  wait_zk_serving "$START_TIMEOUT" "$@"
}

# ZooKeeper mode: the cluster id that the first broker wrote into ZooKeeper and its
# meta.properties.
zookeeper_cluster_id() {
  local id
  for id in "${CORE_BROKERS[@]}"; do
    sed -n 's/^cluster\.id=//p' "$(node_dir "$id")/data/meta.properties" 2>/dev/null | head -1 | grep . && return 0
  done
  echo "?"
}

cluster_start() {
  local secure=0 owner=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --secure) secure=1 ;;
      --owner)
        [[ $# -ge 2 && -n "$2" ]] || die "start: --owner needs a name"
        owner=$2
        shift
        ;;
      *) die "start: unknown option '$1' (start [--secure] [--owner NAME])" ;;
    esac
    shift
  done
  fetch_kafka
  take_lock
  local started=$SECONDS id
  local running
  running=$(running_core_brokers)$(running_zk_nodes)
  if [[ -n "$running" ]]; then
    # A cluster of this state dir is up (maybe partly): keep it and its data.
    refuse_other_mode
    [[ "$(cluster_kafka_version)" == "$KAFKA_VERSION" ]] ||
      die "a Kafka $(cluster_kafka_version) cluster runs from $KSE_CLUSTER_DIR; 'stop' it before starting Kafka $KAFKA_VERSION"
    local zk_repaired=()
    if is_zookeeper; then
      # The ensemble first: brokers cannot start without it.
      for id in "${ZK_NODES[@]}"; do zk_pid "$id" >/dev/null || zk_repaired+=("$id"); done
      ((${#zk_repaired[@]} == 0)) || start_zk_nodes "${zk_repaired[@]}"
    fi
    local upgrade=0
    if ((secure)) && ! is_secure; then
      # Upgrade in place: same data and topics, one broker restarted at a time.
      for id in "${CORE_BROKERS[@]}" "${EXTRA_BROKERS[@]}"; do
        broker_paused "$id" && die "broker $id is paused: 'resume-broker $id' before 'start --secure'"
      done
      upgrade=1
      UPGRADING_TO_SECURE=1
      [[ -f "$(certs_dir)/truststore.p12" ]] || generate_certificates
      for id in "${CORE_BROKERS[@]}" "${EXTRA_BROKERS[@]}"; do
        [[ -f "$(config_file "$id")" ]] || continue
        write_broker_config "$id" "$(sed -n 's/^process.roles=//p' "$(config_file "$id")")"
      done
    fi
    is_secure && secure_services_start
    local repaired=() paused=() ready=()
    for id in "${CORE_BROKERS[@]}"; do
      if ! broker_pid "$id" >/dev/null; then
        broker_start "$id"
        repaired+=("$id")
      elif broker_paused "$id"; then
        paused+=("$id")
      else
        ready+=("$id")
      fi
    done
    wait_brokers_ready "$START_TIMEOUT" "${ready[@]}" "${repaired[@]}"
    if ((upgrade)); then
      add_scram_user
      local restart=()
      for id in "${EXTRA_BROKERS[@]}"; do broker_pid "$id" >/dev/null && restart+=("$id"); done
      restart+=("${ready[@]}")
      rolling_restart "${restart[@]}"
      touch "$KSE_CLUSTER_DIR/secure"
      say "the running cluster is now secure: $(secure_summary) (rolling restart of brokers ${restart[*]}, $((SECONDS - started))s)"
    fi
    ((${#paused[@]} == 0)) && ensure_seed_topics
    if is_zookeeper && [[ ! -s "$KSE_CLUSTER_DIR/cluster-id" || "$(cat "$KSE_CLUSTER_DIR/cluster-id")" == "?" ]]; then
      zookeeper_cluster_id >"$KSE_CLUSTER_DIR/cluster-id"
    fi
    if ((upgrade)); then
      :
    elif ((${#repaired[@]} + ${#zk_repaired[@]} > 0)); then
      local what=""
      ((${#zk_repaired[@]} == 0)) || what="ZooKeeper node(s) ${zk_repaired[*]}"
      ((${#repaired[@]} == 0)) || what+="${what:+ and }broker(s) ${repaired[*]}"
      say "cluster was running without $what: started them ($((SECONDS - started))s)"
    else
      say "already running ($KSE_CLUSTER_DIR$(is_zookeeper && echo ', zookeeper')$(is_secure && echo ', secure'))"
    fi
    ((${#paused[@]} == 0)) || warn "broker(s) ${paused[*]} paused (SIGSTOP); 'resume-broker N' resumes them"
    if [[ -n "${KSE_JMX_EXPORTER_CONFIG:-}" && " ${repaired[*]} " != *" 1 "* ]]; then
      warn "KSE_JMX_EXPORTER_CONFIG applies when broker 1 starts: 'restart-broker 1' to add the agent"
    fi
    return 0
  fi

  # A fresh cluster: new state dir, new cluster id.
  local mode=${KSE_KAFKA_MODE:-kraft}
  check_mode_version "$mode" "$KAFKA_VERSION"
  for id in $(state_dir_pids); do stop_pid "$id" "a leftover broker of $KSE_CLUSTER_DIR"; done
  for id in $(zk_state_dir_pids); do stop_pid "$id" "a leftover ZooKeeper node of $KSE_CLUSTER_DIR"; done
  # Connect workers and a backup cluster left from the last cluster: their state goes too.
  connect_and_mirror_stop
  local ports=() port
  for id in "${CORE_BROKERS[@]}"; do
    ports+=("$(client_port "$id")" "$(jolokia_port "$id")")
    if [[ "$mode" == zookeeper ]]; then
      ports+=("$(zk_client_port "$id")" "$(zk_quorum_port "$id")" "$(zk_election_port "$id")")
    else
      ports+=("$(controller_port "$id")")
    fi
  done
  for port in "${ports[@]}"; do
    port_open "$port" && die "port $port is in use by $(port_owner "$port"); another Kafka on this machine?
(a private second cluster: KSE_PORT_OFFSET=20000 KSE_CLUSTER_DIR=/tmp/other kafka-cluster start)"
  done
  # A running schema registry keeps its schemas in its own memory, not in Kafka: it
  # stays, and so does its dir.
  if registry_pid >/dev/null; then
    find "$KSE_CLUSTER_DIR" -mindepth 1 -maxdepth 1 ! -name registry -exec rm -rf {} +
  else
    rm -rf "$KSE_CLUSTER_DIR"
  fi
  mkdir -p "$KSE_CLUSTER_DIR"
  echo "$mode" >"$KSE_CLUSTER_DIR/mode"
  if ((secure)); then
    touch "$KSE_CLUSTER_DIR/secure"
    generate_certificates
    trap 'cluster_abort' EXIT
    secure_services_start
    trap - EXIT
  fi
  write_log4j_config
  echo "$KAFKA_VERSION" >"$KSE_CLUSTER_DIR/kafka-version"
  local cluster_id
  if [[ "$mode" == zookeeper ]]; then
    write_zk_log4j_config
    for id in "${ZK_NODES[@]}"; do write_zk_config "$id"; done
    for id in "${CORE_BROKERS[@]}"; do write_broker_config "$id"; done
    # From here on a failure stops what was started: nothing is left behind.
    trap 'cluster_abort' EXIT
    start_zk_nodes "${ZK_NODES[@]}"
    ((secure)) && add_scram_user_zookeeper
    for id in "${CORE_BROKERS[@]}"; do broker_start "$id"; done
    wait_brokers_ready "$START_TIMEOUT" "${CORE_BROKERS[@]}"
    ensure_seed_topics
    trap - EXIT
    # The brokers made it: the first one registered wrote it.
    cluster_id=$(zookeeper_cluster_id)
    echo "$cluster_id" >"$KSE_CLUSTER_DIR/cluster-id"
  else
    cluster_id=$(random_cluster_id)
    echo "$cluster_id" >"$KSE_CLUSTER_DIR/cluster-id"
    for id in "${CORE_BROKERS[@]}"; do write_broker_config "$id" broker,controller; done
    local pids=()
    for id in "${CORE_BROKERS[@]}"; do
      format_storage "$id" "$cluster_id" &
      pids+=($!)
    done
    for id in "${pids[@]}"; do wait "$id" || die "kafka-storage format failed (see $KSE_CLUSTER_DIR/broker-*/logs/format.log)"; done
    # From here on a failure stops what was started: no broker is left behind.
    trap 'cluster_abort' EXIT
    for id in "${CORE_BROKERS[@]}"; do broker_start "$id"; done
    wait_brokers_ready "$START_TIMEOUT" "${CORE_BROKERS[@]}"
    ensure_seed_topics
    trap - EXIT
  fi
  [[ -n "$owner" ]] && echo "$owner" >"$KSE_CLUSTER_DIR/owner"
  local ensemble=""
  [[ "$mode" == zookeeper ]] && ensemble=", ZooKeeper ensemble $(zookeeper_connect)"
  say "3 brokers up on $(bootstrap)$ensemble$(is_secure && echo ", $(secure_summary)") (Kafka $KAFKA_VERSION, cluster id $cluster_id, $((SECONDS - started))s)"
}

cluster_abort() {
  local status=$?
  ((status == 0)) && return 0
  warn "start failed: stopping what it started (logs stay in $KSE_CLUSTER_DIR)"
  local id pids=()
  for id in "${CORE_BROKERS[@]}"; do
    broker_stop "$id" &
    pids+=($!)
  done
  wait "${pids[@]}"
  if is_zookeeper; then
    pids=()
    for id in "${ZK_NODES[@]}"; do
      zk_stop "$id" &
      pids+=($!)
    done
    wait "${pids[@]}"
  fi
  secure_services_stop
}

cluster_stop() {
  local owner=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --owner)
        [[ $# -ge 2 && -n "$2" ]] || die "stop: --owner needs a name"
        owner=$2
        shift
        ;;
      *) die "stop: unknown option '$1' (stop [--owner NAME])" ;;
    esac
    shift
  done
  take_lock
  local pids zk_pids
  pids=$(state_dir_pids)
  zk_pids=$(zk_state_dir_pids)
  if [[ -z "$pids$zk_pids" ]]; then
    rm -f "$KSE_CLUSTER_DIR/owner" "$KSE_CLUSTER_DIR"/broker-*/pid "$KSE_CLUSTER_DIR"/zookeeper-*/pid
    connect_and_mirror_stop
    registry_stop
    secure_services_stop
    say "not running"
    return 0
  fi
  if [[ -n "$owner" ]]; then
    local recorded
    recorded=$(cat "$KSE_CLUSTER_DIR/owner" 2>/dev/null || true)
    if [[ "$recorded" != "$owner" ]]; then
      say "left running (started by ${recorded:-someone else}, not by '$owner')"
      return 0
    fi
  fi
  # Connect and the backup cluster first (cluster/connect.sh), while the brokers serve.
  connect_and_mirror_stop
  # The schema registry needs no broker (its storage is in its memory).
  registry_stop
  # Extra brokers first, then the controllers all together: the quorum goes away
  # once, and no node waits for a quorum that its peers already left.
  local id pid
  for id in "${EXTRA_BROKERS[@]}"; do broker_pid "$id" >/dev/null && broker_stop "$id"; done
  # Without a quorum (2 of the 3 controllers, or of the 3 ZooKeeper nodes) a node's
  # controlled shutdown cannot finish: do not wait the full grace period for it.
  local live
  if [[ -n "$zk_pids" ]]; then
    live=$(wc -l <<<"$zk_pids")
  else
    live=$(state_dir_pids | wc -l)
  fi
  if ((live < 2 && STOP_TIMEOUT > 5)); then STOP_TIMEOUT=5; fi
  local jobs=()
  for pid in $(state_dir_pids); do
    stop_pid "$pid" "broker pid $pid" &
    jobs+=($!)
  done
  ((${#jobs[@]} == 0)) || wait "${jobs[@]}"
  # ZooKeeper mode: the ensemble last, once no broker needs it any more.
  jobs=()
  for pid in $(zk_state_dir_pids); do
    stop_pid "$pid" "ZooKeeper pid $pid" &
    jobs+=($!)
  done
  ((${#jobs[@]} == 0)) || wait "${jobs[@]}"
  rm -f "$KSE_CLUSTER_DIR"/broker-*/pid "$KSE_CLUSTER_DIR"/zookeeper-*/pid
  rm -f "$KSE_CLUSTER_DIR/owner"
  # The login services last: a broker shutting down never waits for them.
  secure_services_stop
  say "stopped"
}

# The Kafka version of this cluster: recorded at start, else read from a broker's
# classpath (.../kafka-<version>/libs/*).
cluster_kafka_version() {
  local id pid
  if [[ -f "$KSE_CLUSTER_DIR/kafka-version" ]]; then
    cat "$KSE_CLUSTER_DIR/kafka-version"
    return 0
  fi
  for id in "${CORE_BROKERS[@]}"; do
    pid=$(broker_pid "$id") || continue
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | sed -n 's|.*/kafka-\([0-9][^/]*\)/libs/\*$|\1|p' | head -1
    return 0
  done
  echo "?"
}

cluster_status() {
  local id pid state any=0
  for id in "${CORE_BROKERS[@]}" "${EXTRA_BROKERS[@]}"; do
    [[ -d "$(node_dir "$id")" ]] || continue
    any=1
    if pid=$(broker_pid "$id"); then
      if [[ "$(process_state "$pid")" == T ]]; then
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
  # ZooKeeper mode: each node of the ensemble and its role in it (srvr).
  for id in "${ZK_NODES[@]}"; do
    [[ -d "$(zk_dir "$id")" ]] || continue
    any=1
    if pid=$(zk_pid "$id"); then
      if [[ "$(process_state "$pid")" == T ]]; then
        state="paused (pid $pid)"
      else
        state="running (pid $pid), $(zk_role "$id")"
      fi
    else
      state=stopped
    fi
    echo "zookeeper $id: $state, $CLUSTER_HOST:$(zk_client_port "$id")"
  done
  if ((any)); then
    echo "mode: $(is_secure && echo secure || echo plaintext), $(cluster_mode), kafka $(cluster_kafka_version), cluster id $(cat "$KSE_CLUSTER_DIR/cluster-id" 2>/dev/null || echo '?'), owner $(cat "$KSE_CLUSTER_DIR/owner" 2>/dev/null || echo none), state $KSE_CLUSTER_DIR"
  else
    echo "no cluster in $KSE_CLUSTER_DIR"
  fi
  # Connect workers, their connectors, the backup cluster (cluster/connect.sh).
  connect_status
  registry_status
  return 0
}

cluster_env() {
  local id
  echo "KSE_CLUSTER_DIR=$KSE_CLUSTER_DIR"
  echo "KAFKA_VERSION=$(cluster_kafka_version)"
  echo "MODE=$(cluster_mode)"
  echo "CLUSTER_ID=$(cat "$KSE_CLUSTER_DIR/cluster-id" 2>/dev/null)"
  echo "BOOTSTRAP=$(bootstrap)"
  if is_zookeeper; then
    # No KRaft controllers: the ensemble holds the metadata.
    echo "CONTROLLERS="
    echo "QUORUM_VOTERS="
    echo "ZOOKEEPER=$(zookeeper_connect)"
  else
    echo "CONTROLLERS=$(join_ports controller_port "${CORE_BROKERS[@]}")"
    echo "QUORUM_VOTERS=$(quorum_voters)"
    echo "ZOOKEEPER="
  fi
  local jolokia=""
  # The three core brokers, and the extra ones (add-broker) while they run.
  for id in "${CORE_BROKERS[@]}" "${EXTRA_BROKERS[@]}"; do
    [[ " ${CORE_BROKERS[*]} " == *" $id "* ]] || broker_pid "$id" >/dev/null || continue
    echo "BROKER_${id}=$CLUSTER_HOST:$(client_port "$id")"
    echo "BROKER_${id}_JOLOKIA=http://$CLUSTER_HOST:$(jolokia_port "$id")/jolokia/"
    echo "BROKER_${id}_PROXIED=$CLUSTER_HOST:$(proxied_port "$id")"
    echo "BROKER_${id}_PROXY=$CLUSTER_HOST:$(proxy_port "$id")"
    jolokia+="${jolokia:+,}http://$CLUSTER_HOST:$(jolokia_port "$id")/jolokia/"
  done
  echo "JOLOKIA=$jolokia"
  echo "JMX_EXPORTER=http://$CLUSTER_HOST:$(jmx_exporter_port)/metrics"
  # The rules file broker 1's JMX exporter agent runs (empty: no agent), as recorded at its start.
  echo "JMX_EXPORTER_CONFIG=$(cat "$(node_dir 1)/jmx-exporter-config" 2>/dev/null || true)"
  if is_secure; then
    local certs
    certs=$(certs_dir)
    echo "SECURE=1"
    echo "SASL_SSL_BOOTSTRAP=$(join_ports external_port "${CORE_BROKERS[@]}")"
    echo "SASL_PLAINTEXT_BOOTSTRAP=$(join_ports sasl_plaintext_port "${CORE_BROKERS[@]}")"
    echo "SASL_MECHANISMS=$(secure_mechanisms)"
    echo "MTLS_BOOTSTRAP=$(join_ports mtls_port "${CORE_BROKERS[@]}")"
    echo "PLAIN_USERS=admin:admin-secret,alice:alice-secret"
    echo "SCRAM_USER=scram-user"
    echo "SCRAM_PASSWORD=scram-secret"
    echo "SUPER_USERS=admin,ANONYMOUS"
    echo "CA_FILE=$certs/ca.pem"
    echo "CLIENT_CERT=$certs/client.pem"
    echo "CLIENT_KEY=$certs/client-key.pem"
    echo "TRUSTSTORE=$certs/truststore.p12"
    echo "STORE_PASSWORD=$STORE_PASSWORD"
    echo "CLIENT_CONFIG_PLAIN_ADMIN=$certs/client-plain-admin.properties"
    echo "CLIENT_CONFIG_PLAIN_ALICE=$certs/client-plain-alice.properties"
    echo "CLIENT_CONFIG_SCRAM_SHA_256=$certs/client-scram-sha-256.properties"
    echo "CLIENT_CONFIG_SCRAM_SHA_512=$certs/client-scram-sha-512.properties"
    local service
    for service in $(login_services); do "${service}_env"; done
  else
    echo "SECURE=0"
  fi
  # Connect and the backup cluster, while they run (cluster/connect.sh).
  connect_env
  # The schema registry (Confluent API; REGISTRY_RUNNING says whether it runs).
  registry_env
}

# Workshop 8: a broker-only node joins the running cluster (4: 9392, Jolokia 8781).
add_broker() {
  local id=$1
  [[ " ${CORE_BROKERS[*]} " != *" $id "* ]] || die "brokers 1..3 are the core of the cluster; add-broker takes 4..9"
  fetch_kafka
  take_lock
  refuse_other_mode
  [[ -f "$KSE_CLUSTER_DIR/cluster-id" && -n "$(running_core_brokers)" ]] || die "no cluster running; 'start' it first"
  if ! broker_pid "$id" >/dev/null; then
    if is_zookeeper; then
      # A broker of ZooKeeper mode needs no formatting: it registers in ZooKeeper.
      [[ -f "$(config_file "$id")" ]] || write_broker_config "$id"
    elif [[ ! -f "$(node_dir "$id")/data/meta.properties" ]]; then
      write_broker_config "$id" broker
      format_storage "$id" "$(cat "$KSE_CLUSTER_DIR/cluster-id")"
    fi
    broker_start "$id"
  fi
  wait_brokers_ready "$START_TIMEOUT" "$id"
  say "broker $id up on $CLUSTER_HOST:$(client_port "$id")$(is_zookeeper || echo ' (broker only)'), Jolokia on $(jolokia_port "$id")"
}

# ZooKeeper mode: node N of the ensemble starts again (its data kept); it serves once
# it has joined a quorum, which needs one other node running.
zk_node_start() {
  local id=$1
  is_zookeeper || die "the cluster in $KSE_CLUSTER_DIR is in KRaft mode: no ZooKeeper"
  fetch_kafka
  take_lock
  refuse_other_mode
  zk_start "$id"
  local others=0 peer
  for peer in "${ZK_NODES[@]}"; do
    [[ "$peer" != "$id" ]] && zk_pid "$peer" >/dev/null && others=$((others + 1))
  done
  if ((others == 0)); then
    say "ZooKeeper node $id started on $CLUSTER_HOST:$(zk_client_port "$id"); it serves once another node runs (no quorum alone)"
    return 0
  fi
  wait_zk_serving "$START_TIMEOUT" "$id"
  say "ZooKeeper node $id running on $CLUSTER_HOST:$(zk_client_port "$id"), $(zk_role "$id")"
}

zk_node_stop() {
  local id=$1
  is_zookeeper || die "the cluster in $KSE_CLUSTER_DIR is in KRaft mode: no ZooKeeper"
  take_lock
  zk_stop "$id"
  say "ZooKeeper node $id stopped"
}
