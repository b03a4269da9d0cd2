# Secure mode's Kerberos realm KSE.TEST for GSSAPI: an MIT KDC (Debian's krb5-kdc) of
# this cluster's own, its database, krb5.conf and keytabs in $KSE_CLUSTER_DIR/kerberos.
# Sourced by lib.sh, which calls these functions; they use its say, warn, die, port_open.
# shellcheck shell=bash
#
# Principals: kafka/127.0.0.1 (the brokers), kse-exporter and kse-client (clients), and
# kse-removed, whose keytab remains after the KDC forgot it (a test of a refused login).

KERBEROS_REALM=KSE.TEST
KERBEROS_SBIN=(/usr/sbin/krb5kdc /usr/sbin/kdb5_util /usr/sbin/kadmin.local)

kerberos_dir() { echo "$KSE_CLUSTER_DIR/kerberos"; }
kdc_port() { echo $((8188 + KSE_PORT_OFFSET)); }
kdc_pid_file() { echo "$(kerberos_dir)/krb5kdc.pid"; }

kerberos_supported() {
  local tool
  for tool in "${KERBEROS_SBIN[@]}"; do [[ -x "$tool" ]] || return 1; done
  command -v kinit >/dev/null
}

# Every MIT tool run here reads this realm's files, never /etc/krb5.conf or the system KDC's.
kerberos_run() {
  local dir
  dir=$(kerberos_dir)
  KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf" KRB5CCNAME="MEMORY:kse-cluster" "$@"
}

kerberos_write_config() {
  local dir port
  dir=$(kerberos_dir)
  port=$(kdc_port)
  cat >"$dir/kdc.conf" <<EOF
# The KDC of the local test cluster's realm (cluster/kerberos.sh).
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port

[realms]
    $KERBEROS_REALM = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        max_life = 24h
        max_renewable_life = 7d
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }

[logging]
    kdc = FILE:$dir/krb5kdc.log
    admin_server = FILE:$dir/kadmin.log
EOF
  # rdns and dns_canonicalize_hostname off: the service principal is kafka/<the host the
  # client dialled>, here 127.0.0.1, never what DNS makes of it.
  cat >"$dir/krb5.conf" <<EOF
# Clients and brokers of the local test cluster (cluster/kerberos.sh).
[libdefaults]
    default_realm = $KERBEROS_REALM
    dns_lookup_realm = false
    dns_lookup_kdc = false
    rdns = false
    dns_canonicalize_hostname = false
    udp_preference_limit = 1
    ticket_lifetime = 24h
    forwardable = false
    default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96

[realms]
    $KERBEROS_REALM = {
        kdc = 127.0.0.1:$port
    }

[domain_realm]
    127.0.0.1 = $KERBEROS_REALM
    localhost = $KERBEROS_REALM
EOF
  : >"$dir/kadm5.acl"
  # Java clients name the broker by a reverse lookup of its address (127.0.0.1 -> localhost,
  # so kafka/localhost); with a hosts file that knows no name the address stays the name.
  echo "# No names: a reverse lookup of 127.0.0.1 gives 127.0.0.1 (cluster/kerberos.sh)" >"$dir/hosts"
}

# The realm, once: database, principals and a keytab for each.
kerberos_create_realm() {
  local dir
  dir=$(kerberos_dir)
  [[ -f "$dir/principal" && -f "$dir/kafka.keytab" ]] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 700 "$dir"
  kerberos_write_config
  local log="$dir/create.log"
  (
    umask 077
    kerberos_run /usr/sbin/kdb5_util create -s -r "$KERBEROS_REALM" -P "kse-master-$RANDOM$RANDOM" &&
      kerberos_run /usr/sbin/kadmin.local -r "$KERBEROS_REALM" -q "addprinc -randkey kafka/127.0.0.1" &&
      kerberos_run /usr/sbin/kadmin.local -r "$KERBEROS_REALM" -q "ktadd -k $dir/kafka.keytab kafka/127.0.0.1" &&
      for client in kse-exporter kse-client kse-removed; do
        kerberos_run /usr/sbin/kadmin.local -r "$KERBEROS_REALM" -q "addprinc -randkey $client" &&
          kerberos_run /usr/sbin/kadmin.local -r "$KERBEROS_REALM" -q "ktadd -k $dir/$client.keytab $client" || exit 1
      done &&
      kerberos_run /usr/sbin/kadmin.local -r "$KERBEROS_REALM" -q "delprinc -force kse-removed"
  ) >"$log" 2>&1 || {
    local failure
    failure=$(tail -5 "$log")
    rm -f "$dir/kafka.keytab"
    die "cannot create the Kerberos realm $KERBEROS_REALM in $dir: $failure"
  }
}

# The pid of this cluster's KDC, when it runs: a krb5kdc that reads this state dir's kdc.conf.
kdc_pid() {
  local pidf pid
  pidf=$(kdc_pid_file)
  [[ -f "$pidf" ]] || return 1
  pid=$(<"$pidf")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" == */usr/sbin/krb5kdc* ]] || return 1
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "KRB5_KDC_PROFILE=$(kerberos_dir)/kdc.conf" || return 1
  echo "$pid"
}

# A ticket for kse-exporter from its keytab: the KDC answers and the realm is whole.
kdc_answers() {
  kerberos_run kinit -k -t "$(kerberos_dir)/kse-exporter.keytab" "kse-exporter@$KERBEROS_REALM" >/dev/null 2>&1
}

kerberos_start() {
  kerberos_supported || die "the Kerberos KDC is not installed (krb5-kdc, krb5-admin-server, krb5-user; scripts/install-deps)"
  kerberos_create_realm
  local dir port
  dir=$(kerberos_dir)
  port=$(kdc_port)
  # The port may have moved with KSE_PORT_OFFSET; the database stays.
  kerberos_write_config
  if ! kdc_pid >/dev/null; then
    port_open "$port" && die "cannot start the Kerberos KDC: port $port is in use by $(port_owner "$port")"
    rm -f "$(kdc_pid_file)"
    # Detached like a broker: its own session, a child of init, its pid recorded by itself.
    # shellcheck disable=SC2016 # $$ is the inner shell's
    (KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf" \
      setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$(kdc_pid_file)" \
      /usr/sbin/krb5kdc -n -r "$KERBEROS_REALM" >"$dir/stdout.log" 2>&1 </dev/null 9>&- 8>&- &)
  fi
  local waited=0
  until kdc_answers; do
    if ((waited++ > 100)); then
      die "the Kerberos KDC on 127.0.0.1:$port does not answer: $(tail -3 "$dir/stdout.log" "$dir/krb5kdc.log" 2>/dev/null)"
    fi
    sleep 0.1
  done
  kerberos_client_config
  say "Kerberos KDC of realm $KERBEROS_REALM on 127.0.0.1:$port (pid $(kdc_pid))"
}

kerberos_stop() {
  local pid waited=0
  if pid=$(kdc_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((waited++ < 50)); do sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$(kdc_pid_file)"
}

kerberos_jvm_options() {
  echo "-Djava.security.krb5.conf=$(kerberos_dir)/krb5.conf"
  # Kafka's brokers log in from the keytab only, never from a ticket cache or a prompt.
  echo "-Djavax.security.auth.useSubjectCredsOnly=true"
}

kerberos_listener_config() { # kerberos_listener_config LISTENER (lowercase)
  local listener=$1 dir
  dir=$(kerberos_dir)
  echo "listener.name.$listener.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false keyTab=\"$dir/kafka.keytab\" principal=\"kafka/127.0.0.1@$KERBEROS_REALM\" serviceName=\"kafka\";"
  echo "listener.name.$listener.sasl.kerberos.service.name=kafka"
}

# A Kafka client configuration for Kafka's own tools: GSSAPI as kse-client.
kerberos_client_config_file() { echo "$(kerberos_dir)/client-gssapi.properties"; }
kerberos_client_config() {
  local dir
  dir=$(kerberos_dir)
  cat >"$(kerberos_client_config_file)" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=GSSAPI
sasl.kerberos.service.name=kafka
sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true useTicketCache=false keyTab="$dir/kse-client.keytab" principal="kse-client@$KERBEROS_REALM";
EOF
}

kerberos_env() {
  local dir
  dir=$(kerberos_dir)
  echo "KERBEROS_REALM=$KERBEROS_REALM"
  echo "KERBEROS_KDC=127.0.0.1:$(kdc_port)"
  echo "KRB5_CONFIG=$dir/krb5.conf"
  echo "KERBEROS_SERVICE_NAME=kafka"
  echo "KERBEROS_PRINCIPAL=kse-exporter@$KERBEROS_REALM"
  echo "KERBEROS_KEYTAB=$dir/kse-exporter.keytab"
  echo "KERBEROS_CLIENT_PRINCIPAL=kse-client@$KERBEROS_REALM"
  echo "KERBEROS_CLIENT_KEYTAB=$dir/kse-client.keytab"
  echo "KERBEROS_REMOVED_PRINCIPAL=kse-removed@$KERBEROS_REALM"
  echo "KERBEROS_REMOVED_KEYTAB=$dir/kse-removed.keytab"
  # Kafka's tools (cluster/kafka-tool) with GSSAPI: KSE_TOOL_JAVA_OPTS and --command-config.
  echo "KERBEROS_TOOL_JAVA_OPTS=-Djava.security.krb5.conf=$dir/krb5.conf -Djdk.net.hosts.file=$dir/hosts"
  echo "CLIENT_CONFIG_GSSAPI=$(kerberos_client_config_file)"
}
