# The OIDC token endpoint of secure mode (SASL/OAUTHBEARER, KIP-768), sourced by lib.sh.
# cluster/oidc-token-server signs tokens for fixed test clients; the brokers' SASL
# listeners validate them with Kafka's own OAuthBearerValidatorCallbackHandler.
# KSE_OIDC_TOKEN_LIFETIME: seconds a valid token lasts (default 60), as of the endpoint's start.
# shellcheck shell=bash

oidc_port() { echo $((8189 + KSE_PORT_OFFSET)); }
oidc_dir() { echo "$KSE_CLUSTER_DIR/oidc"; }
oidc_url() { echo "http://$CLUSTER_HOST:$(oidc_port)"; }
# Its command line names its state dir's port, so a pid is checked to be ours before a kill.
oidc_marker() { echo "oidc-token-server --host $CLUSTER_HOST --port $(oidc_port)"; }
oidc_pid() { recorded_pid "$(oidc_dir)/pid" "$(oidc_marker)"; }

# The validator's class: 3.4 and later name it here, 3.1 to 3.3 in `secured`; 2.8 has none.
oidc_validator_class() {
  local version=${KAFKA_VERSION:-$(cluster_kafka_version)} jar class
  jar=$(compgen -G "$KSE_CACHE_DIR/kafka-$version/libs/kafka-clients-*.jar" | head -1)
  [[ -n "$jar" ]] || return 1
  for class in org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler \
    org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler; do
    if python3 -c 'import sys, zipfile; sys.exit(sys.argv[2] not in zipfile.ZipFile(sys.argv[1]).namelist())' \
      "$jar" "${class//.//}.class" 2>/dev/null; then
      echo "$class"
      return 0
    fi
  done
  return 1
}

oidc_supported() { oidc_validator_class >/dev/null; }

# A python3 with Debian's python3-jwt and python3-cryptography (a pyenv one first on PATH may lack them).
oidc_python() {
  local python
  for python in python3 /usr/bin/python3; do
    if "$python" -c 'import jwt, cryptography' 2>/dev/null; then
      echo "$python"
      return 0
    fi
  done
  return 1
}

oidc_start() {
  oidc_pid >/dev/null && return 0
  local dir port
  dir=$(oidc_dir)
  port=$(oidc_port)
  port_open "$port" && die "cannot start the OIDC token endpoint: port $port is in use by $(port_owner "$port")"
  local python
  python=$(oidc_python) || die "the OIDC token endpoint needs python3-jwt and python3-cryptography (scripts/install-deps)"
  mkdir -p "$dir"
  rm -f "$dir/pid"
  echo "${KSE_OIDC_TOKEN_LIFETIME:-60}" >"$dir/lifetime"
  # kse-jwt-client authenticates with a key (private_key_jwt): the endpoint knows its public half.
  if [[ ! -s "$dir/kse-jwt-client.pub.pem" ]]; then
    (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/kse-jwt-client-key.pem" 2>/dev/null &&
      openssl pkey -in "$dir/kse-jwt-client-key.pem" -pubout -out "$dir/kse-jwt-client.pub.pem") ||
      die "cannot make the key of the OIDC test client kse-jwt-client in $dir"
  fi
  # Like a broker: its own session, a child of init, its pid written by the process itself.
  # shellcheck disable=SC2016 # $$ is the inner shell's
  (setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$dir/pid" \
    "$python" "$KSE_CLUSTER_SCRIPTS/oidc-token-server" --host "$CLUSTER_HOST" --port "$port" \
    --lifetime "$(cat "$dir/lifetime")" --jwt-client-key "$dir/kse-jwt-client.pub.pem" \
    >>"$dir/server.log" 2>&1 </dev/null 9>&- 8>&- &)
  local waited=0
  until oidc_pid >/dev/null && curl -fsS -m 2 "$(oidc_url)/jwks" >/dev/null 2>&1; do
    ((waited++ < 100)) || die "the OIDC token endpoint did not answer on $(oidc_url)/jwks within 10 s: $(tail -5 "$dir/server.log" 2>/dev/null)"
    sleep 0.1
  done
  say "OIDC token endpoint on $(oidc_url)/token (JWKS $(oidc_url)/jwks, log $dir/server.log)"
}

oidc_stop() {
  local pid
  pid=$(oidc_pid) || { rm -f "$(oidc_dir)/pid"; return 0; }
  kill "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited++ == 50)); then kill -KILL "$pid" 2>/dev/null || true; fi
    ((waited < 100)) || { warn "the OIDC token endpoint (pid $pid) did not stop"; return 1; }
    sleep 0.1
  done
  rm -f "$(oidc_dir)/pid"
}

# Kafka 3.9.1 and 4.x fetch only URLs this property allows (4.x allows none by default).
oidc_jvm_options() {
  echo "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$(oidc_url)/jwks,$(oidc_url)/token"
}

oidc_listener_config() { # oidc_listener_config LISTENER
  local listener=$1 class
  class=$(oidc_validator_class) || die "Kafka ${KAFKA_VERSION:-?} has no OAUTHBEARER validator (Kafka 3.1 and later have it)"
  cat <<EOF
listener.name.$listener.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.$listener.oauthbearer.sasl.server.callback.handler.class=$class
listener.name.$listener.sasl.oauthbearer.jwks.endpoint.url=$(oidc_url)/jwks
listener.name.$listener.sasl.oauthbearer.expected.issuer=$(oidc_url)
listener.name.$listener.sasl.oauthbearer.expected.audience=kafka
EOF
}

oidc_env() {
  echo "OIDC_ISSUER=$(oidc_url)"
  echo "OIDC_TOKEN_ENDPOINT=$(oidc_url)/token"
  echo "OIDC_JWKS=$(oidc_url)/jwks"
  echo "OIDC_AUDIENCE=kafka"
  echo "OIDC_LOG=$(oidc_dir)/server.log"
  echo "OIDC_TOKEN_LIFETIME_SECONDS=$(cat "$(oidc_dir)/lifetime" 2>/dev/null || echo 60)"
  echo "OIDC_CLIENT_ID=kse-exporter"
  echo "OIDC_CLIENT_SECRET=exporter-secret"
  echo "OIDC_EXPIRED_CLIENT_ID=kse-expired"
  echo "OIDC_EXPIRED_CLIENT_SECRET=expired-secret"
  echo "OIDC_WRONG_AUDIENCE_CLIENT_ID=kse-wrong-audience"
  echo "OIDC_WRONG_AUDIENCE_CLIENT_SECRET=wrong-audience-secret"
  echo "OIDC_JWT_CLIENT_ID=kse-jwt-client"
  echo "OIDC_JWT_CLIENT_KEY=$(oidc_dir)/kse-jwt-client-key.pem"
}
