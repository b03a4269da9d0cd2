# The schema registry of the test cluster, sourced by lib.sh: Apicurio Registry, whose
# /apis/ccompat/v7 speaks the Confluent Schema Registry REST API (the course's registry
# port, 8085), started on demand by `kafka-cluster start-registry`. Its schemas live in
# its own memory (H2 in memory): nothing in Kafka, gone when it stops.
# Maven Central has Apicurio only as a Quarkus library: cluster/registry/pom.xml builds a
# runnable application from it, once, into the cache.
#   KSE_REGISTRY_VERSION  Apicurio version (default 2.4.2.Final, the newest Maven Central
#                         serves whole to this machine)
#   KSE_REGISTRY_HEAP     -Xmx of the registry (default 320m)
#   KSE_REGISTRY_START_TIMEOUT  seconds start-registry waits for the API (default 120)
# shellcheck shell=bash

REGISTRY_VERSION=${KSE_REGISTRY_VERSION:-2.4.2.Final}
REGISTRY_START_TIMEOUT=${KSE_REGISTRY_START_TIMEOUT:-120}
REGISTRY_BUILD_TIMEOUT=${KSE_REGISTRY_BUILD_TIMEOUT:-1200}
# The Confluent-compatible API (v6 is there too); clients take this as schema.registry.url.
REGISTRY_CCOMPAT_PATH=/apis/ccompat/v7

registry_port() { echo $((8085 + KSE_PORT_OFFSET)); }
registry_dir() { echo "$KSE_CLUSTER_DIR/registry"; }
registry_base_url() { echo "http://$CLUSTER_HOST:$(registry_port)"; }
registry_url() { echo "$(registry_base_url)$REGISTRY_CCOMPAT_PATH"; }
registry_home() { echo "$KSE_CACHE_DIR/apicurio-registry-$1"; }
# Its command line names its state dir (the space ends the value), so a recorded pid is
# checked to be this state dir's registry before a signal.
registry_marker() { echo "-Dkse.registry.state=$(registry_dir) "; }
registry_pid() { recorded_pid "$(registry_dir)/pid" "$(registry_marker)"; }

# ---------------------------------------------------------------- building it once

# Quarkus build-time settings: Apicurio switches off the HTTP server metrics, whose per-status
# counters (http_server_requests_seconds_count{status="409"}) are how a monitor counts the
# registrations refused as incompatible.
REGISTRY_BUILD_SETTINGS=(-Dquarkus.micrometer.binder.http-server.enabled=true
  -D%prod.quarkus.micrometer.binder.http-server.enabled=true)

registry_stamp_content() { # VERSION
  echo "apicurio $1 pom $(sha256sum "$KSE_CLUSTER_SCRIPTS/registry/pom.xml" | cut -c1-16) ${REGISTRY_BUILD_SETTINGS[*]}"
}

registry_built() { # VERSION
  local home
  home=$(registry_home "$1")
  [[ -f "$home/.built" && "$(cat "$home/.built")" == "$(registry_stamp_content "$1")" &&
    -f "$home/quarkus-app/quarkus-run.jar" ]]
}

# Builds the application of Apicurio VERSION into the cache (once; the stamp .built ties
# it to the pom): the Quarkus version comes from Apicurio's parent POM. Logs to
# <cache>/apicurio-registry-VERSION/build.log.
registry_build() { # VERSION
  local version=$1 home partial log quarkus
  registry_built "$version" && return 0
  command -v mvn >/dev/null || die "mvn is missing (scripts/install-deps installs it)"
  command -v java >/dev/null || die "java is missing (scripts/install-deps installs it)"
  mkdir -p "$KSE_CACHE_DIR"
  # One fetch or build at a time in the cache; whoever waited finds the stamp.
  exec 8>"$KSE_CACHE_DIR/.fetch.lock"
  flock -w "$REGISTRY_BUILD_TIMEOUT" 8 || die "another fetch holds $KSE_CACHE_DIR/.fetch.lock"
  if registry_built "$version"; then
    exec 8>&-
    return 0
  fi
  home=$(registry_home "$version")
  partial="$home/build.partial"
  log="$home/build.log"
  mkdir -p "$home"
  rm -rf "$partial"
  echo "kafka-cluster: building Apicurio Registry $version from Maven Central into $home (once; log $log)" >&2
  local mvn_args=(-B -ntp -Dstyle.color=never -f "$KSE_CLUSTER_SCRIPTS/registry/pom.xml" -DskipDefault
    -Dapicurio.version="$version" -Dkse.registry.build.dir="$partial")
  local started=$SECONDS
  if ! timeout "$REGISTRY_BUILD_TIMEOUT" mvn "${mvn_args[@]}" dependency:copy@parent-pom >"$log" 2>&1; then
    rm -rf "$partial"
    exec 8>&-
    die "could not fetch Apicurio Registry $version's parent POM with mvn: $(grep -m3 -E 'ERROR|Could not' "$log" | cut -c1-400)
(see $log)"
  fi
  quarkus=$(sed -n 's:.*<quarkus.version>\(.*\)</quarkus.version>.*:\1:p' "$partial/apicurio-registry-parent.pom" | head -1)
  if [[ -z "$quarkus" ]]; then
    rm -rf "$partial"
    exec 8>&-
    die "Apicurio Registry $version's parent POM names no quarkus.version"
  fi
  # fast-jar: Apicurio's own application.properties asks for a legacy jar in prod.
  if ! timeout "$REGISTRY_BUILD_TIMEOUT" mvn "${mvn_args[@]}" -Dquarkus.version="$quarkus" \
    "${REGISTRY_BUILD_SETTINGS[@]}" -Dquarkus.package.type=fast-jar -Dquarkus.package.jar.type=fast-jar package >>"$log" 2>&1 ||
    [[ ! -f "$partial/quarkus-app/quarkus-run.jar" ]]; then
    rm -rf "$partial"
    exec 8>&-
    local why
    why=$(grep -m5 -E '^\[ERROR\]' "$log" | grep -v -E 'Re-run Maven|full stack trace|^\[ERROR\] *$' | head -3 | cut -c1-400)
    [[ -n "$why" ]] || why="no error from mvn: timed out after ${REGISTRY_BUILD_TIMEOUT}s?"
    die "could not build Apicurio Registry $version (Quarkus $quarkus) with mvn: $why
(see $log)"
  fi
  rm -rf "$home/quarkus-app"
  mv "$partial/quarkus-app" "$home/quarkus-app"
  echo "$quarkus" >"$home/quarkus-version"
  rm -rf "$partial"
  registry_stamp_content "$version" >"$home/.built"
  exec 8>&-
  echo "kafka-cluster: built Apicurio Registry $version (Quarkus $quarkus) in $((SECONDS - started))s" >&2
}

# ---------------------------------------------------------------- running it

registry_log_tail() {
  tail -n "${1:-15}" "$(registry_dir)/registry.log" 2>/dev/null | cut -c1-300
}

# The API answers: GET /subjects, as a client's first call does.
registry_ready() { curl -fsS -m 2 -o /dev/null "$(registry_url)/subjects" 2>/dev/null; }

registry_start() {
  local dir port pid
  dir=$(registry_dir)
  port=$(registry_port)
  if ! pid=$(registry_pid); then
    registry_build "$REGISTRY_VERSION"
    take_lock
  fi
  # Under the lock: another start-registry may have won the race.
  if pid=$(registry_pid); then
    registry_wait_ready "$pid"
    say "registry already running (pid $pid): $(registry_url) (Apicurio Registry $(cat "$dir/version" 2>/dev/null || echo '?'))"
    return 0
  fi
  port_open "$port" && die "cannot start the schema registry: port $port is in use by $(port_owner "$port")"
  local home
  home=$(registry_home "$REGISTRY_VERSION")
  mkdir -p "$dir"
  rm -f "$dir/pid"
  echo "$REGISTRY_VERSION" >"$dir/version"
  # A new registry, a new log (its schemas are new too); the last one's stays beside it.
  if [[ -f "$dir/registry.log" ]]; then mv -f "$dir/registry.log" "$dir/registry.log.1"; fi
  local started=$SECONDS
  # Like a broker: its own session, a child of init, its pid written by the process
  # itself (bash execs java). Quarkus' prod profile; its metrics and health on the API port.
  # shellcheck disable=SC2016 # $$ is the inner shell's
  (setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$dir/pid" \
    java -Xms32m "-Xmx${KSE_REGISTRY_HEAP:-320m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -XX:+ExitOnOutOfMemoryError -Xshare:auto -Djava.awt.headless=true \
    "-Dkse.registry.state=$dir" -Dquarkus.http.host="$CLUSTER_HOST" -Dquarkus.http.port="$port" \
    -Djava.io.tmpdir="$dir" -jar "$home/quarkus-app/quarkus-run.jar" \
    >>"$dir/registry.log" 2>&1 </dev/null 9>&- 8>&- &)
  local waited=0
  until [[ -s "$dir/pid" ]] && pid=$(registry_pid); do
    ((waited++ < 100)) || die "the schema registry did not start: $(registry_log_tail 5)"
    sleep 0.05
  done
  registry_wait_ready "$pid"
  say "registry up: $(registry_url) (Apicurio Registry $REGISTRY_VERSION, pid $pid, $((SECONDS - started))s; metrics $(registry_base_url)/metrics, health $(registry_base_url)/health, log $dir/registry.log)"
}

# Waits until the API answers, at most REGISTRY_START_TIMEOUT seconds; a registry that
# never answers is stopped, and the end of its log said.
registry_wait_ready() { # PID
  local pid=$1 deadline=$((SECONDS + REGISTRY_START_TIMEOUT))
  until registry_ready; do
    if ! alive "$pid"; then
      rm -f "$(registry_dir)/pid"
      die "the schema registry (pid $pid) exited before its API answered; the end of $(registry_dir)/registry.log:
$(registry_log_tail)"
    fi
    if ((SECONDS >= deadline)); then
      stop_pid "$pid" "the schema registry"
      rm -f "$(registry_dir)/pid"
      die "the schema registry did not answer on $(registry_url)/subjects within ${REGISTRY_START_TIMEOUT}s (stopped); the end of $(registry_dir)/registry.log:
$(registry_log_tail)"
    fi
    sleep 0.25
  done
}

# SIGTERM by the recorded pid (checked against the marker), SIGKILL after STOP_TIMEOUT.
registry_stop() {
  local pid
  pid=$(registry_pid) || { rm -f "$(registry_dir)/pid"; return 0; }
  stop_pid "$pid" "the schema registry"
  rm -f "$(registry_dir)/pid"
  # Its threads can hold the port for a moment after the main one is gone.
  local deadline=$((SECONDS + 10))
  while port_open "$(registry_port)" && ((SECONDS < deadline)); do sleep 0.2; done
  say "registry stopped (pid $pid)"
}

registry_status() {
  [[ -d "$(registry_dir)" ]] || return 0
  local pid state
  if pid=$(registry_pid); then
    if registry_ready; then state="running (pid $pid)"; else state="starting (pid $pid)"; fi
  else
    state=stopped
  fi
  echo "registry: $state, $(registry_url) (Apicurio Registry $(cat "$(registry_dir)/version" 2>/dev/null || echo "$REGISTRY_VERSION"))"
}

registry_env() {
  echo "REGISTRY_URL=$(registry_url)"
  echo "REGISTRY_API_URL=$(registry_base_url)/apis/registry/v2"
  echo "REGISTRY_METRICS=$(registry_base_url)/metrics"
  echo "REGISTRY_HEALTH=$(registry_base_url)/health"
  echo "REGISTRY_LOG=$(registry_dir)/registry.log"
  echo "REGISTRY_RUNNING=$(registry_pid >/dev/null && echo 1 || echo 0)"
}
