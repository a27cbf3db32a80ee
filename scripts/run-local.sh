#!/usr/bin/env bash
# Runs the three services and web-service on this machine (`make run`).
#
# Without SAFEMAP_DATABASE_URL: a private PostgreSQL cluster under .data/postgres of the
# checkout (initdb + pg_ctl from the system's PostgreSQL), password authentication, a generated
# password per role kept in .data/secrets, migrations, a first ministry admin, the three
# services and web-service (http://127.0.0.1:8080/), then (once, through the services) the
# national demo: SAFEMAP_DEMO_FACILITIES
# facilities (default 20000) over the 63 provinces with weeks of history. It prints the
# admin's and Bình Dương's officer's credentials and commands to try. A second run reuses the
# data and starts in seconds. With SAFEMAP_DATABASE_URL: that server instead, no demo
# (migrations run with SAFEMAP_ADMIN_DATABASE_URL, the schema owner; default: the same URL).
# Ctrl-C (or SIGTERM) stops the services gracefully, then the private cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$(swift build --show-bin-path)
DATA=${SAFEMAP_DATA_DIR:-$PWD/.data}
SECRETS=$DATA/secrets
mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
secret() {  # secret NAME: a stable random secret kept under .data/secrets
  local f="$SECRETS/$1"
  [ -s "$f" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$f")
  cat "$f"
}

PIDS=()
PG_STOP=""
cleanup() {
  trap - INT TERM EXIT
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$PG_STOP" ] && eval "$PG_STOP" >/dev/null 2>&1 || true
  echo "run: stopped"
}
trap cleanup INT TERM EXIT

if [ -z "${SAFEMAP_DATABASE_URL:-}" ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  PORT=${SAFEMAP_LOCAL_PG_PORT:-54329}
  PGDIR=$DATA/postgres
  AS=()
  if [ "$(id -u)" -eq 0 ]; then
    # initdb and postgres refuse root: run them as the postgres user, on a folder it owns.
    AS=(runuser -u postgres --)
    if ! runuser -u postgres -- test -x "$DATA"; then
      PGDIR=/var/tmp/safemap-$(echo -n "$PWD" | md5sum | cut -c1-8)/postgres
      echo "run: postgres cannot reach $DATA; keeping the cluster in $PGDIR"
    fi
    mkdir -p "$PGDIR" && chown postgres: "$PGDIR"
  fi
  SUPERUSER_PW=$(secret postgres)
  if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
    echo "run: creating a private PostgreSQL cluster in $PGDIR"
    # Readable by its owner only, even for the moment initdb reads it (as postgres when root).
    PWFILE=$(mktemp) && echo "$SUPERUSER_PW" > "$PWFILE" && chmod 600 "$PWFILE"
    [ ${#AS[@]} -gt 0 ] && chown postgres "$PWFILE"
    "${AS[@]}" "$PG_BIN/initdb" -D "$PGDIR/data" -U postgres -A scram-sha-256 \
      --pwfile="$PWFILE" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$PWFILE"
  fi
  if ! "${AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
    "${AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w start \
      -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1" >/dev/null
    PG_STOP="${AS[*]} $PG_BIN/pg_ctl -D $PGDIR/data -m fast -w stop"
  fi
  export PGPASSWORD=$SUPERUSER_PW
  # The demo is complete only once seed-demo finished (the marker below): a first run stopped
  # during the load left part of a country, which the next run must not take for the demo.
  # This private cluster holds nothing but the demo, so it starts over.
  DEMO_DONE=$DATA/demo-complete
  if [ -z "${SAFEMAP_BOOTSTRAP_ADMIN:-}" ] && [ ! -f "$DEMO_DONE" ] \
    && psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'safemap'" | grep -q 1; then
    echo "run: the last demo load did not finish; loading it again from the start"
    psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "DROP DATABASE safemap WITH (FORCE)"
  fi
  psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'safemap'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE DATABASE safemap"
  ADMIN_URL="postgres://postgres:$SUPERUSER_PW@127.0.0.1:$PORT/safemap"
  DB_URL="postgres://127.0.0.1:$PORT/safemap"
  "$BIN/safemap-admin" migrate --database-url "$ADMIN_URL"
  for role in account assessment reporting; do
    psql -h 127.0.0.1 -p "$PORT" -U postgres -d safemap -qc \
      "ALTER ROLE safemap_$role PASSWORD '$(secret "db-$role")'"
  done
  unset PGPASSWORD
  if [ -z "${SAFEMAP_BOOTSTRAP_ADMIN:-}" ]; then
    export SAFEMAP_BOOTSTRAP_ADMIN=admin
    export SAFEMAP_BOOTSTRAP_PASSWORD=$(secret admin-password)
    DEMO=yes
  fi
else
  DB_URL=$SAFEMAP_DATABASE_URL
  "$BIN/safemap-admin" migrate --database-url "${SAFEMAP_ADMIN_DATABASE_URL:-$DB_URL}"
fi

export SAFEMAP_DATA_DIR=$DATA
export SAFEMAP_LOG_FORMAT=${SAFEMAP_LOG_FORMAT:-text}
# A crash exits at once and frees its ports: the Swift backtracer's helper would inherit the
# listening sockets and hold them while it works (README: crashes).
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
# Tools here may list and describe the services (off by default elsewhere).
export SAFEMAP_GRPC_REFLECTION=${SAFEMAP_GRPC_REFLECTION:-true}
# The demo loader calls the tokenless reference RPCs (ListDistricts, …) from this machine for
# every province at once: past the 60-at-once limit a real client gets, the load failed. The
# local services let this one address through faster; a deployment keeps the defaults.
export SAFEMAP_ANONYMOUS_BURST=${SAFEMAP_ANONYMOUS_BURST:-2000}
export SAFEMAP_ANONYMOUS_RATE=${SAFEMAP_ANONYMOUS_RATE:-200}
# Plaintext stays on this machine: listen on loopback unless told otherwise (README: TLS).
export SAFEMAP_GRPC_HOST=${SAFEMAP_GRPC_HOST:-127.0.0.1}
# web-service runs beside them: account-service believes the browser address it forwards.
export SAFEMAP_TRUSTED_PROXIES=${SAFEMAP_TRUSTED_PROXIES:-127.0.0.1,::1}
WEB_HOST=${SAFEMAP_WEB_HOST:-127.0.0.1}
WEB_PORT=${SAFEMAP_WEB_PORT:-8080}
for service in account assessment reporting; do
  password=${SAFEMAP_DATABASE_PASSWORD:-}
  [ -z "${SAFEMAP_DATABASE_URL:-}" ] && password=$(secret "db-$service")
  SAFEMAP_DATABASE_URL=$DB_URL SAFEMAP_DATABASE_PASSWORD=$password \
    "$BIN/$service-service" &
  PIDS+=($!)
  [ "$service" = account ] && sleep 1  # the others fetch its signing keys
done
for port in 50051 50052 50053; do
  for _ in $(seq 1 100); do
    "$BIN/safemap-admin" health "127.0.0.1:$port" >/dev/null 2>&1 && break
    sleep 0.2
  done
done
SAFEMAP_WEB_HOST=$WEB_HOST SAFEMAP_WEB_PORT=$WEB_PORT SAFEMAP_METRICS_PORT=9454 \
  "$BIN/web-service" &
PIDS+=($!)
WEB_URL="http://$WEB_HOST:$WEB_PORT/"
if [ "${DEMO:-}" = yes ]; then
  OFFICER_PASSWORD=$(secret officer-password)
  "$BIN/safemap-admin" seed-demo --database-url "$ADMIN_URL" \
    --facilities "${SAFEMAP_DEMO_FACILITIES:-20000}" --admin "$SAFEMAP_BOOTSTRAP_ADMIN" \
    --admin-password-file "$SECRETS/admin-password" \
    --officer-password-file "$SECRETS/officer-password" \
    --signing-key-file "$DATA/signing-keys"
  touch "$DEMO_DONE"
  cat <<EOF
run: ready. The public map: $WEB_URL (sign in there as below)
     account-service :50051, assessment-service :50052, reporting-service :50053,
     web-service :$WEB_PORT (metrics :9451-9454). Ctrl-C stops everything.

  ministry admin:                 admin / $SAFEMAP_BOOTSTRAP_PASSWORD
  Bình Dương's province officer:  officer.74 / $OFFICER_PASSWORD
  (kept in $SECRETS)

Try, in another terminal:
  $BIN/safemap login officer.74
  $BIN/safemap report summary --by district
  $BIN/safemap report list --r5 --page-size 10
EOF
else
  echo "run: the public map at $WEB_URL; account-service :50051, assessment-service :50052," \
    "reporting-service :50053, web-service :$WEB_PORT (metrics :9451-9454); Ctrl-C stops"
fi
wait -n "${PIDS[@]}" || true
