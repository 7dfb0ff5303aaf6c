#!/usr/bin/env bash
# with-broker.sh CMD [ARGS...]
#
# Starts a single-node Apache Kafka broker (KRaft, combined broker+controller)
# on 127.0.0.1 with free ports and a temporary data directory, exports
# KREST_TEST_BOOTSTRAP=127.0.0.1:<port> and runs CMD. The broker is stopped and
# its data removed when CMD ends, whatever its exit status. The jars come from
# Maven Central through `fetch-jars.sh` and are cached between runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
libs=$("$here/fetch-jars.sh")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
broker_port=$(free_port)
controller_port=$(free_port)
while [ "$controller_port" = "$broker_port" ]; do controller_port=$(free_port); done

work=$(mktemp -d "${TMPDIR:-/tmp}/krest-kafka.XXXXXX")
pid=""
cleanup() {
  status=$?
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

cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://127.0.0.1:${broker_port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${broker_port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
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
java $log_opts -cp "$libs/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$work/server.properties" --ignore-formatted >"$work/format.log" 2>&1 \
  || { cat "$work/format.log" >&2; exit 1; }

heap=${KREST_KAFKA_HEAP:-1g}
java -Xms"$heap" -Xmx"$heap" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
  -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true \
  $log_opts -cp "$libs/*" kafka.Kafka "$work/server.properties" >"$work/broker.log" 2>&1 &
pid=$!

# Ready when the broker listener accepts connections (and the process is alive).
for i in $(seq 1 600); do
  kill -0 "$pid" 2>/dev/null || { echo "kafka broker exited during start-up" >&2; exit 1; }
  if (exec 3<>"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null; then break; fi
  [ "$i" = 600 ] && { echo "kafka broker did not listen within 60s" >&2; exit 1; }
  sleep 0.1
done
echo "kafka broker ready on 127.0.0.1:${broker_port} (pid $pid, data $work)" >&2

export KREST_TEST_BOOTSTRAP="127.0.0.1:${broker_port}"
set +e
"$@"
status=$?
set -e
exit "$status"
