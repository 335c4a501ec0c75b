#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft: one process is broker and
# controller) on 127.0.0.1, from the Maven Central jars; no Docker, no tarball.
#
#   deploy/kafka/kafka.sh fetch      resolve the broker's jars into the cache (once)
#   deploy/kafka/kafka.sh start      fetch, format the storage (once), start, wait until it answers
#   deploy/kafka/kafka.sh stop       SIGTERM, SIGKILL after KAFKA_STOP_TIMEOUT s
#   deploy/kafka/kafka.sh restart    stop then start (data kept)
#   deploy/kafka/kafka.sh status     exit 0 if running and answering, 1 otherwise
#   deploy/kafka/kafka.sh logs [-f]  last KAFKA_LOG_LINES (100) lines of the server log; -f follows
#   deploy/kafka/kafka.sh reset      stop and delete the state dir (data); the jars stay
#   deploy/kafka/kafka.sh cluster-id print the broker's cluster id (a new one after reset); exit 1 before the first start
#
# Environment (defaults in brackets; <repo> is the checkout this script is in):
#   KAFKA_PORT             client listener, PLAINTEXT://127.0.0.1:<port>     [9092]
#   KAFKA_CONTROLLER_PORT  KRaft controller listener                         [KAFKA_PORT+1]
#   KAFKA_CACHE_DIR        jar cache; jars in $KAFKA_CACHE_DIR/libs-4.3.1    [<repo>/.cache/kafka]
#   KAFKA_STATE_DIR        config, cluster id, data, logs, pid of this broker
#                                                   [$KAFKA_CACHE_DIR/state-$KAFKA_PORT]
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer          [90]
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL      [30]
#   KAFKA_HEAP_OPTS        JVM heap                                [-Xmx512m -Xms256m]
#   KAFKA_JVM_OPTS         JIT and GC      [-XX:TieredStopAtLevel=1 -XX:+UseSerialGC]
#                          (for this local/CI broker, not a production one: a fresh
#                          broker's C2 compiler thread spent 8 of its 15 CPU-s in a
#                          2,000-article bench/entities.py run, on the cores the
#                          workers need; C1 code is enough for its load. Serial GC
#                          suits a 512 MiB heap on 2 cores. Empty: the JVM's defaults)
#   KAFKA_OPTS             extra JVM options                                 []
#   KAFKA_MAVEN_REPO       Maven local repository for the fetch              [~/.m2/repository]
#   KAFKA_SASL             1: add the secured listeners below, to test clients against [0]
#   KAFKA_SASL_PORT        SASL_PLAINTEXT://127.0.0.1:<port> (PLAIN, SCRAM-SHA-256/512) [KAFKA_PORT+2]
#   KAFKA_SASL_SSL_PORT    SASL_SSL://127.0.0.1:<port>, the same over TLS    [KAFKA_PORT+3]
#   KAFKA_SSL_PORT         SSL://127.0.0.1:<port>, TLS with a client certificate [KAFKA_PORT+4]
#   KAFKA_SASL_USER        the one SASL user                                 [enrich]
#   KAFKA_SASL_PASSWORD    its password; for a local test broker only        [enrich-local-only]
#                          (letters, digits, '.', '_', '-'; SCRAM credentials are
#                          set when the storage is formatted: change them with reset)
#   KAFKA_ACLS             1 (with KAFKA_SASL=1): an authorizer (StandardAuthorizer), to test [0]
#                          clients whose rights ACLs limit: a resource no ACL names stays
#                          open to every user, so an ACL added (CreateAcls) restricts only
#                          what it names; the PLAINTEXT listener's clients (the broker
#                          itself, and whoever adds the ACLs) are super users
#   With KAFKA_SASL=1 the PLAINTEXT listener stays (the broker talks to itself on it);
#   openssl makes a CA, the broker's and a client's certificates (PEM) in
#   $KAFKA_STATE_DIR/tls: clients trust ca.crt, and use client.crt/client.key on SSL.
# Needs java (17+) on PATH, and mvn (with Maven Central) for the first fetch.
# Brokers on other ports (with their own state dirs) can run at the same time.
set -euo pipefail

readonly KAFKA_VERSION=4.3.1

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
readonly SCRIPT_DIR REPO_ROOT
readonly POM="$SCRIPT_DIR/pom.xml"
readonly TEMPLATE="$SCRIPT_DIR/server.properties.template"
readonly LOG4J_CONFIG="$SCRIPT_DIR/log4j2.yaml"

readonly PORT="${KAFKA_PORT:-9092}"
readonly CACHE_DIR="${KAFKA_CACHE_DIR:-$REPO_ROOT/.cache/kafka}"
readonly LIBS_DIR="$CACHE_DIR/libs-$KAFKA_VERSION"
readonly FETCH_MARKER="$LIBS_DIR/.fetched"
readonly STATE_DIR="${KAFKA_STATE_DIR:-$CACHE_DIR/state-$PORT}"
readonly START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
readonly STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
readonly HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
readonly JVM_OPTS="${KAFKA_JVM_OPTS--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
readonly SECURE="${KAFKA_SASL:-0}"
readonly SECURE_TEMPLATE="$SCRIPT_DIR/server.secure.properties.template"
readonly ACLS="${KAFKA_ACLS:-0}"
readonly SASL_USER="${KAFKA_SASL_USER:-enrich}"
readonly SASL_PASSWORD="${KAFKA_SASL_PASSWORD:-enrich-local-only}"

readonly CONFIG_FILE="$STATE_DIR/server.properties"
readonly CLUSTER_ID_FILE="$STATE_DIR/cluster.id"
readonly DATA_DIR="$STATE_DIR/data"
readonly LOG_DIR="$STATE_DIR/logs"
readonly SERVER_LOG="$LOG_DIR/server.log"
readonly CONSOLE_LOG="$LOG_DIR/kafka.out"
readonly PID_FILE="$STATE_DIR/kafka.pid"
readonly TLS_DIR="$STATE_DIR/tls"
readonly SCRAM_STAMP="$STATE_DIR/scram.stamp"
# The controller's port (set by check_settings, once KAFKA_PORT is known to be a number).
CONTROLLER_PORT=""
# Secured listener name (= its security protocol) and port, when KAFKA_SASL=1.
declare -A SECURE_PORTS=()

log() { printf 'kafka.sh[%s]: %s\n' "$PORT" "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

# ---------------------------------------------------------------- checks

require_java() {
    command -v java >/dev/null 2>&1 ||
        die "java not found on PATH (Kafka $KAFKA_VERSION needs Java 17 or newer)"
    local version major
    version=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
    major=${version%%.*}
    [[ $major == 1 ]] && major=$(cut -d. -f2 <<<"$version")
    [[ $major =~ ^[0-9]+$ && $major -ge 17 ]] ||
        die "java on PATH is version '$version'; Kafka $KAFKA_VERSION needs Java 17 or newer"
}

require_mvn() {
    command -v mvn >/dev/null 2>&1 ||
        die "mvn not found on PATH: Maven is needed once, to fetch the Kafka jars from Maven Central"
}

check_settings() {
    local name value
    for name in KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_START_TIMEOUT KAFKA_STOP_TIMEOUT \
        KAFKA_SASL_PORT KAFKA_SASL_SSL_PORT KAFKA_SSL_PORT; do
        value=${!name:-0}
        [[ $value =~ ^[0-9]+$ ]] || die "$name must be a whole number, not '$value'"
    done
    CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
    [[ $PORT != "$CONTROLLER_PORT" ]] ||
        die "KAFKA_PORT and KAFKA_CONTROLLER_PORT are both $PORT"
    [[ $SECURE == [01] ]] || die "KAFKA_SASL must be 0 or 1, not '$SECURE'"
    [[ $ACLS == [01] ]] || die "KAFKA_ACLS must be 0 or 1, not '$ACLS'"
    [[ $ACLS == 0 || $SECURE == 1 ]] || die "KAFKA_ACLS=1 needs KAFKA_SASL=1 (the user ACLs name)"
    [[ $SECURE == 1 ]] || return 0
    # Both go verbatim into a JAAS option and a StorageTool argument.
    [[ $SASL_USER =~ ^[A-Za-z0-9._-]+$ && $SASL_PASSWORD =~ ^[A-Za-z0-9._-]+$ ]] ||
        die "KAFKA_SASL_USER and KAFKA_SASL_PASSWORD may hold only letters, digits, '.', '_' and '-'"
    SECURE_PORTS=([SASL_PLAINTEXT]=${KAFKA_SASL_PORT:-$((PORT + 2))}
        [SASL_SSL]=${KAFKA_SASL_SSL_PORT:-$((PORT + 3))} [SSL]=${KAFKA_SSL_PORT:-$((PORT + 4))})
    [[ $(printf '%s\n' "$PORT" "$CONTROLLER_PORT" "${SECURE_PORTS[@]}" | sort -u | wc -l) == 5 ]] ||
        die "the ports must all differ: $PORT $CONTROLLER_PORT ${SECURE_PORTS[*]}"
}

# ---------------------------------------------------------------- fetch

# The marker records the version and a checksum of the pom: a changed pom refetches.
fetch_stamp() {
    printf 'kafka %s pom %s\n' "$KAFKA_VERSION" "$(cksum <"$POM" | cut -d' ' -f1)"
}

jars_present() {
    [[ -f $FETCH_MARKER && "$(cat "$FETCH_MARKER")" == "$(fetch_stamp)" ]]
}

# Runs Maven into a temporary dir, then swaps it in whole: a start never sees a
# half-filled libs dir.
fetch_jars() {
    local tmp="$LIBS_DIR.tmp.$$" started=$SECONDS
    local fetch_log="$CACHE_DIR/fetch.log"
    local -a mvn_args=(-B -q -f "$POM" dependency:copy-dependencies "-DoutputDirectory=$tmp")
    [[ -n ${KAFKA_MAVEN_REPO:-} ]] && mvn_args+=("-Dmaven.repo.local=$KAFKA_MAVEN_REPO")
    log "fetching Kafka $KAFKA_VERSION jars with Maven into $LIBS_DIR ..."
    rm -rf "$tmp"
    # Output kept aside (Debian's Maven 3.8 prints colour codes even in batch mode).
    if ! mvn "${mvn_args[@]}" </dev/null >"$fetch_log" 2>&1; then
        sed $'s/\e\\[[0-9;]*m//g' "$fetch_log" | tail -n 40 >&2
        rm -rf "$tmp"
        die "mvn could not resolve the Kafka jars (is Maven Central reachable?); full output in $fetch_log"
    fi
    [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing in $tmp"
    fetch_stamp >"$tmp/.fetched"
    rm -rf "$LIBS_DIR"
    mv "$tmp" "$LIBS_DIR"
    log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - started)) s"
}

cmd_fetch() {
    if jars_present; then
        log "jars for Kafka $KAFKA_VERSION already in $LIBS_DIR"
        return 0
    fi
    require_mvn
    mkdir -p "$CACHE_DIR"
    # Brokers started at the same time on other ports wait for one fetch (flock is
    # in util-linux; without it they fetch side by side, which is only slower).
    (
        if command -v flock >/dev/null 2>&1; then flock 9; fi
        if jars_present; then
            log "jars for Kafka $KAFKA_VERSION fetched meanwhile by another kafka.sh"
        else
            fetch_jars
        fi
    ) 9>"$CACHE_DIR/.fetch.lock"
}

# ---------------------------------------------------------------- process

read_pid() {
    [[ -f $PID_FILE ]] && tr -dc '0-9' <"$PID_FILE"
    return 0
}

# True when $1 is alive and is our broker (not a recycled pid): kafka.Kafka run with this state dir's config,
# compared as a file (-ef), so that the state dir reached by another path (a checkout whose .cache is a symlink
# to another's) is the same broker, not a stale pid file to remove.
is_our_broker() {
    local pid=$1 i line args=()
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r /proc/$pid/cmdline ]]; then
        mapfile -d '' args <"/proc/$pid/cmdline"
    else
        # No /proc (macOS, BSD): ps joins the arguments with spaces, so a path holding one cannot be split back;
        # the config is launch_broker's last argument, the rest of the line.
        line=$(ps -p "$pid" -o args= 2>/dev/null) || return 1
        [[ $line == *" kafka.Kafka "* ]] && args=(kafka.Kafka "${line#* kafka.Kafka }")
    fi
    for ((i = 0; i + 1 < ${#args[@]}; i++)); do
        [[ ${args[i]} == kafka.Kafka && ${args[i + 1]} -ef $CONFIG_FILE ]] && return 0
    done
    return 1
}

# Pid of the running broker of this state dir, or nothing; drops a stale pid file.
running_pid() {
    local pid
    pid=$(read_pid)
    if [[ -n $pid ]] && is_our_broker "$pid"; then
        echo "$pid"
    elif [[ -f $PID_FILE ]]; then
        log "removing stale pid file (process ${pid:-?} is gone or is not this broker)"
        rm -f "$PID_FILE"
    fi
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Sends a Metadata v4 request (api key 3, correlation id 7, all topics) on the
# client port and checks that the answer lists broker node 1: the broker then
# serves requests and is registered and unfenced in the KRaft metadata.
# Reply prefix: size(4) correlation(4) throttle(4) broker count(4) node id(4).
broker_answers() {
    local reply
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    reply=$(timeout 5 "$BASH" -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "\x00\x00\x00\x13\x00\x03\x00\x04\x00\x00\x00\x07\x00\x04ping\xff\xff\xff\xff\x00" >&3
        head -c 20 <&3 | od -An -v -tx1 | tr -d " \n"
    ' _ "$PORT" 2>/dev/null) || return 1
    [[ ${#reply} -eq 40 && ${reply:8:8} == 00000007 && ${reply:32:8} == 00000001 ]]
}

started_in_log() {
    grep -q 'Kafka Server started' "$CONSOLE_LOG" 2>/dev/null
}

show_log_tail() {
    log "last 50 lines of $CONSOLE_LOG:"
    tail -n 50 "$CONSOLE_LOG" >&2 2>/dev/null || true
}

# Waits until the broker of pid $1 logged its start and answers, or fails.
wait_until_ready() {
    local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            show_log_tail
            rm -f "$PID_FILE"
            die "the broker exited during startup"
        fi
        if started_in_log && port_open "$PORT" && broker_answers; then
            return 0
        fi
        sleep 0.5
    done
    show_log_tail
    log "the broker (pid $pid) did not answer on 127.0.0.1:$PORT within $START_TIMEOUT s" \
        "(KAFKA_START_TIMEOUT); stopping it so that no half-started broker is left behind"
    cmd_stop
    die "start timed out; logs in $LOG_DIR"
}

# ---------------------------------------------------------------- start

# JVM options shared by the broker and StorageTool, into the array JAVA_ARGS.
set_java_args() {
    local -a heap jvm extra
    read -r -a heap <<<"$HEAP_OPTS"
    read -r -a jvm <<<"$JVM_OPTS"
    read -r -a extra <<<"${KAFKA_OPTS:-}"
    JAVA_ARGS=("${heap[@]}" ${jvm[@]+"${jvm[@]}"} ${extra[@]+"${extra[@]}"}
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$LOG4J_CONFIG" "-Dkafka.logs.dir=$LOG_DIR"
        -cp "$LIBS_DIR/*")
}

# shellcheck disable=SC2016 # the ${...} placeholders are literal
render_config() {
    local text name listeners="" protocols=""
    text=$(<"$TEMPLATE")
    if [[ $SECURE == 1 ]]; then
        for name in SASL_PLAINTEXT SASL_SSL SSL; do
            listeners+=",$name://127.0.0.1:${SECURE_PORTS[$name]}"
            protocols+=",$name:$name"
        done
        text+=$'\n'$(<"$SECURE_TEMPLATE")
        text=${text//'${SASL_USER}'/$SASL_USER}
        text=${text//'${SASL_PASSWORD}'/$SASL_PASSWORD}
        text=${text//'${TLS_DIR}'/$TLS_DIR}
    fi
    if [[ $ACLS == 1 ]]; then
        text+=$'\n'"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"
        text+=$'\n'"allow.everyone.if.no.acl.found=true"
        text+=$'\n'"super.users=User:ANONYMOUS"
    fi
    text=${text//'${SECURE_LISTENERS}'/$listeners}
    text=${text//'${SECURE_PROTOCOLS}'/$protocols}
    text=${text//'${PORT}'/$PORT}
    text=${text//'${CONTROLLER_PORT}'/$CONTROLLER_PORT}
    text=${text//'${DATA_DIR}'/$DATA_DIR}
    # The config may hold the SASL password: readable by its owner only.
    (umask 077 && printf '%s\n' "$text" >"$CONFIG_FILE")
}

# A CA, and the broker's and a client's key and certificate signed by it (PEM), once per state dir.
make_tls() {
    [[ $SECURE == 1 && ! -f $TLS_DIR/broker.pem ]] || return 0
    command -v openssl >/dev/null 2>&1 || die "openssl not found on PATH (needed with KAFKA_SASL=1)"
    local tmp="$TLS_DIR.tmp.$$" days=3650 # a local test CA: long enough never to expire under a dev box
    rm -rf "$tmp" && mkdir -p "$tmp"
    (
        umask 077 # the keys: readable by their owner only
        cd "$tmp"
        openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=kafka.sh local CA" \
            -keyout ca.key -out ca.crt
        openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=localhost" \
            -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -CA ca.crt -CAkey ca.key \
            -keyout broker.key -out broker.crt
        openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=$SASL_USER" \
            -CA ca.crt -CAkey ca.key -keyout client.key -out client.crt
        cat broker.key broker.crt >broker.pem
    ) >"$LOG_DIR/tls.out" 2>&1 || {
        cat "$LOG_DIR/tls.out" >&2
        die "openssl could not make the test certificates"
    }
    mv "$tmp" "$TLS_DIR"
    log "made a test CA and certificates in $TLS_DIR"
}

# What the SCRAM credentials were formatted for: the user and a checksum of the password.
scram_stamp() {
    printf '%s %s\n' "$SASL_USER" "$(printf '%s' "$SASL_PASSWORD" | cksum | cut -d' ' -f1)"
}

# Formats the KRaft storage once; the cluster id is kept in the state dir.
format_storage() {
    local -a scram=()
    if [[ -f $DATA_DIR/meta.properties ]]; then
        [[ $SECURE == 0 || "$(cat "$SCRAM_STAMP" 2>/dev/null)" == "$(scram_stamp)" ]] ||
            die "$DATA_DIR was formatted without SCRAM credentials for this KAFKA_SASL_USER/PASSWORD" \
                "(they are set only when formatting): run 'kafka.sh reset', then start again"
        return 0
    fi
    if [[ $SECURE == 1 ]]; then
        scram=(--add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]"
            --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]")
    fi
    if [[ ! -s $CLUSTER_ID_FILE ]]; then
        java -cp "$LIBS_DIR/*" kafka.tools.StorageTool random-uuid >"$CLUSTER_ID_FILE.tmp"
        mv "$CLUSTER_ID_FILE.tmp" "$CLUSTER_ID_FILE"
    fi
    log "formatting $DATA_DIR (cluster id $(<"$CLUSTER_ID_FILE"))"
    java "${JAVA_ARGS[@]}" kafka.tools.StorageTool format --ignore-formatted \
        -t "$(<"$CLUSTER_ID_FILE")" -c "$CONFIG_FILE" ${scram[@]+"${scram[@]}"} >"$LOG_DIR/format.out" 2>&1 || {
        cat "$LOG_DIR/format.out" >&2
        die "formatting the storage failed"
    }
    if [[ $SECURE == 1 ]]; then scram_stamp >"$SCRAM_STAMP"; fi
}

check_ports_free() {
    local port
    for port in "$PORT" "$CONTROLLER_PORT" ${SECURE_PORTS[@]+"${SECURE_PORTS[@]}"}; do
        ! port_open "$port" ||
            die "127.0.0.1:$port is already in use by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT" \
                "/ KAFKA_SASL_PORT / KAFKA_SASL_SSL_PORT / KAFKA_SSL_PORT)"
    done
}

# The listeners a client can use, for the log.
listeners_summary() {
    local summary="bootstrap 127.0.0.1:$PORT" name
    for name in SASL_PLAINTEXT SASL_SSL SSL; do
        [[ -n ${SECURE_PORTS[$name]:-} ]] && summary+=", $name 127.0.0.1:${SECURE_PORTS[$name]}"
    done
    [[ $SECURE == 1 ]] && summary+=" (user $SASL_USER, CA $TLS_DIR/ca.crt)"
    printf '%s' "$summary"
}

launch_broker() {
    # nohup execs java (so $! is the broker); with every fd redirected the broker
    # outlives this script and does not hold its caller's pipes open.
    nohup java "${JAVA_ARGS[@]}" kafka.Kafka "$CONFIG_FILE" </dev/null >"$CONSOLE_LOG" 2>&1 &
    echo $! >"$PID_FILE"
}

cmd_start() {
    check_settings
    require_java
    local pid started
    pid=$(running_pid)
    if [[ -n $pid ]]; then
        if [[ $SECURE == 1 ]] && ! grep -q '^sasl.enabled.mechanisms=' "$CONFIG_FILE"; then
            die "already running (pid $pid) without the secured listeners: stop it, then start with KAFKA_SASL=1"
        fi
        if [[ $ACLS == 1 ]] && ! grep -q '^authorizer.class.name=' "$CONFIG_FILE"; then
            die "already running (pid $pid) without an authorizer: stop it, then start with KAFKA_ACLS=1"
        fi
        if broker_answers; then
            log "already running (pid $pid) on 127.0.0.1:$PORT"
            return 0
        fi
        log "process $pid is up but not answering yet; waiting"
        wait_until_ready "$pid"
        log "ready (pid $pid) on 127.0.0.1:$PORT"
        return 0
    fi
    check_ports_free
    # Quiet when the jars are there: scripts/setup's fetch (run first by the demo) has said so already.
    jars_present || cmd_fetch
    mkdir -p "$DATA_DIR" "$LOG_DIR"
    make_tls
    render_config
    set_java_args
    format_storage
    started=$SECONDS
    launch_broker
    pid=$(read_pid)
    log "starting broker (pid $pid), waiting up to $START_TIMEOUT s ..."
    wait_until_ready "$pid"
    log "ready in $((SECONDS - started)) s: $(listeners_summary) (pid $pid, state $STATE_DIR)"
}

# ---------------------------------------------------------------- stop, status, logs, reset

cmd_stop() {
    local pid deadline
    pid=$(running_pid)
    if [[ -z $pid ]]; then
        log "not running"
        return 0
    fi
    log "stopping broker (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "still running after $STOP_TIMEOUT s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    local pid
    pid=$(running_pid)
    if [[ -n $pid ]] && broker_answers; then
        echo "running (pid $pid) on 127.0.0.1:$PORT, state $STATE_DIR"
        return 0
    fi
    if [[ -n $pid ]]; then
        echo "process $pid is up but the broker does not answer on 127.0.0.1:$PORT"
    else
        echo "not running (127.0.0.1:$PORT)"
    fi
    return 1
}

cmd_logs() {
    [[ -f $SERVER_LOG ]] || die "no log yet at $SERVER_LOG"
    local lines=${KAFKA_LOG_LINES:-100}
    if [[ ${1:-} == -f ]]; then
        exec tail -n "$lines" -F "$SERVER_LOG"
    fi
    tail -n "$lines" "$SERVER_LOG"
}

cmd_reset() {
    cmd_stop
    [[ -n $STATE_DIR && $STATE_DIR != / && -d $STATE_DIR ]] || {
        log "nothing to delete at $STATE_DIR"
        return 0
    }
    rm -rf "$STATE_DIR"
    log "deleted $STATE_DIR (jars kept in $LIBS_DIR)"
}

# The cluster id noted when the storage was formatted; none before the first start (or after a reset).
cmd_cluster_id() {
    [[ -f $CLUSTER_ID_FILE ]] || die "no cluster id: no broker was started on port $PORT since its last reset (state $STATE_DIR)"
    cat "$CLUSTER_ID_FILE"
}

main() {
    local cmd=${1:-help}
    (($# > 0)) && shift
    case $cmd in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop && cmd_start ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    reset) cmd_reset ;;
    cluster-id) cmd_cluster_id ;;
    help | -h | --help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

main "$@"
