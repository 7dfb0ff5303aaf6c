#!/usr/bin/env bash
# with-broker.sh CMD [ARGS...]
#
# Starts a single-node Apache Kafka broker (KRaft, combined broker+controller)
# on 127.0.0.1 with free ports and a temporary data directory, and runs CMD
# with these variables exported:
#
#   KREST_TEST_BOOTSTRAP           PLAINTEXT listener (principal ANONYMOUS, a super user)
#   KREST_TEST_SSL_BOOTSTRAP       SSL listener that requires a client certificate
#   KREST_TEST_SASL_SSL_BOOTSTRAP  SASL_SSL listener: SCRAM-SHA-512, PLAIN and OAUTHBEARER
#                                  (unsecured JWTs, Kafka's default validator)
#   KREST_TEST_BADHOST_BOOTSTRAP   SSL listener whose certificate names only wrong.invalid
#   KREST_TEST_CERTS               the TLS material of gen-certs.sh (CA, client stores)
#   KREST_TEST_BROKER_PIDFILE      holds the broker's pid (fault tests kill -9 it)
#   KREST_TEST_BROKER_RESTART      a script that starts the broker again, same ports
#                                  and data, and waits until it listens
#
# Users: SCRAM-SHA-512 alice/alice-secret and mallory/mallory-secret, PLAIN
# bob/bob-secret and mallory/mallory-secret. The StandardAuthorizer denies
# everything without an ACL; tests grant ACLs through the PLAINTEXT listener.
#
# The broker is stopped and its data removed when CMD ends, whatever its exit
# status. The jars come from Maven Central through `fetch-jars.sh` and are
# cached between runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
libs=$("$here/fetch-jars.sh")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# Distinct free ports for the five listeners.
ports=()
while [ "${#ports[@]}" -lt 5 ]; do
  p=$(free_port)
  [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done
broker_port=${ports[0]} controller_port=${ports[1]} ssl_port=${ports[2]} sasl_port=${ports[3]} badhost_port=${ports[4]}

work=$(mktemp -d "${TMPDIR:-/tmp}/krest-kafka.XXXXXX")
pid=""
cleanup() {
  status=$?
  [ -f "$work/broker.pid" ] && pid=$(cat "$work/broker.pid")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$work/broker.log" ]; then
    echo "--- last broker log lines ($work/broker.log) ---" >&2
    tail -n 40 "$work/broker.log" >&2 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

certs="$work/certs"
"$here/gen-certs.sh" "$certs"

cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://127.0.0.1:${broker_port},CONTROLLER://127.0.0.1:${controller_port},SSL://127.0.0.1:${ssl_port},SASL_SSL://127.0.0.1:${sasl_port},BADHOST://127.0.0.1:${badhost_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${broker_port},SSL://127.0.0.1:${ssl_port},SASL_SSL://127.0.0.1:${sasl_port},BADHOST://127.0.0.1:${badhost_port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,BADHOST:SSL
ssl.keystore.type=PEM
ssl.keystore.location=${certs}/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=${certs}/ca.pem
listener.name.ssl.ssl.client.auth=required
listener.name.badhost.ssl.keystore.type=PEM
listener.name.badhost.ssl.keystore.location=${certs}/badhost.pem
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN,OAUTHBEARER
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_bob="bob-secret" user_mallory="mallory-secret";
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS
log.dirs=${work}/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=500
auto.create.topics.enable=true
num.network.threads=2
num.io.threads=4
# A deleted topic's files go after a second, not a minute: the bench
# deletes each row's topics, and a minute of them (GBs) left in the page
# cache filled this machine's memory until the broker's writes reclaimed it
# themselves, at three to six times their CPU per GB (bench/README.md).
log.segment.delete.delay.ms=1000
PROPS
cat > "$work/log4j2.properties" <<'PROPS'
status=warn
appender.console.type=Console
appender.console.name=STDOUT
appender.console.layout.type=PatternLayout
appender.console.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=warn
rootLogger.appenderRef.stdout.ref=STDOUT
logger.kafka.name=kafka.server.KafkaRaftServer
logger.kafka.level=info
PROPS

log_opts="-Dlog4j2.configurationFile=$work/log4j2.properties -Dkafka.logs.dir=$work/logs"
cluster_id=$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
java $log_opts -cp "$libs/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$work/server.properties" --ignore-formatted \
  --add-scram 'SCRAM-SHA-512=[name=alice,password=alice-secret]' \
  --add-scram 'SCRAM-SHA-512=[name=mallory,password=mallory-secret]' >"$work/format.log" 2>&1 \
  || { cat "$work/format.log" >&2; exit 1; }

heap=${KREST_KAFKA_HEAP:-1g}
# start.sh starts the broker in the background and records its pid; the
# fault tests run it again after kill -9 (same ports, same data).
cat > "$work/start.sh" <<START
#!/usr/bin/env bash
set -euo pipefail
java -Xms$heap -Xmx$heap -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \\
  -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true \\
  $log_opts -cp "$libs/*" kafka.Kafka "$work/server.properties" >>"$work/broker.log" 2>&1 &
echo \$! > "$work/broker.pid"
START
cat > "$work/restart.sh" <<RESTART
#!/usr/bin/env bash
set -euo pipefail
"$work/start.sh"
for i in \$(seq 1 900); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null; then exit 0; fi
  sleep 0.1
done
echo "kafka broker did not listen again within 90s" >&2
exit 1
RESTART
chmod +x "$work/start.sh" "$work/restart.sh"
"$work/start.sh"
pid=$(cat "$work/broker.pid")

# Ready when every broker listener accepts connections (and the process is alive).
for port in "$broker_port" "$ssl_port" "$sasl_port" "$badhost_port"; do
  for i in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || { echo "kafka broker exited during start-up" >&2; exit 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    [ "$i" = 600 ] && { echo "kafka broker did not listen on $port within 60s" >&2; exit 1; }
    sleep 0.1
  done
done
echo "kafka broker ready on 127.0.0.1:${broker_port} (SSL ${ssl_port}, SASL_SSL ${sasl_port}; pid $pid, data $work)" >&2

export KREST_TEST_BOOTSTRAP="127.0.0.1:${broker_port}"
export KREST_TEST_SSL_BOOTSTRAP="127.0.0.1:${ssl_port}"
export KREST_TEST_SASL_SSL_BOOTSTRAP="127.0.0.1:${sasl_port}"
export KREST_TEST_BADHOST_BOOTSTRAP="127.0.0.1:${badhost_port}"
export KREST_TEST_CERTS="$certs"
export KREST_TEST_BROKER_PIDFILE="$work/broker.pid"
export KREST_TEST_BROKER_RESTART="$work/restart.sh"
set +e
"$@"
status=$?
set -e
exit "$status"
