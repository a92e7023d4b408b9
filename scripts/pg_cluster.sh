#!/usr/bin/env bash
# Starts and stops a throw-away PostgreSQL 15 + PostGIS cluster on a loopback port, for tests and CI.
#
# Usage:
#   eval "$(scripts/pg_cluster.sh start)"   # prints `export DATABASE_URL=...` on stdout, logs on stderr
#   scripts/pg_cluster.sh status            # exit 0 when the cluster answers, 1 otherwise
#   scripts/pg_cluster.sh url               # prints the DATABASE_URL (cluster must be running)
#   scripts/pg_cluster.sh stop              # stops the cluster and removes its data folder
#   scripts/pg_cluster.sh halt              # stops the server, keeps the data (`start` resumes)
#
# What `start` does (idempotent; a cluster already running on the port is reused):
#   1. apt-get installs postgresql-15 and postgresql-15-postgis-3 when missing (root or sudo).
#   2. initdb into a data folder under /tmp, trust auth on 127.0.0.1 only (throw-away, loopback).
#      initdb refuses to run as root, so as root the cluster runs as the `postgres` user
#      (created when missing).
#   3. pg_ctl start on 127.0.0.1:$GAM_PG_PORT, creates database $GAM_PG_DB and `CREATE EXTENSION postgis`.
#
# Env: GAM_PG_PORT (default 54329), GAM_PG_DB (default gam_test),
#      GAM_PG_DIR (default /tmp/gam-pg-$GAM_PG_PORT), GAM_SKIP_APT=1 to never call apt-get.
set -euo pipefail

PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PORT="${GAM_PG_PORT:-54329}"
DB="${GAM_PG_DB:-gam_test}"
BASE="${GAM_PG_DIR:-/tmp/gam-pg-$PORT}"
DATA="$BASE/data"
SOCK="$BASE/sock"
LOGFILE="$BASE/server.log"
APT_PACKAGES=("postgresql-$PG_VERSION" "postgresql-$PG_VERSION-postgis-3")

SERVICE=pg_cluster
# log, die, cmd_status, cmd_url
# shellcheck source=scripts/_service.sh
. "$(dirname "${BASH_SOURCE[0]}")/_service.sh"
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"
  fi
}

# The OS user that owns and runs the cluster: the current user, or `postgres` when we are root.
if [ "$(id -u)" -eq 0 ]; then RUN_USER=postgres; else RUN_USER="$(id -un)"; fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$RUN_USER" -- "$@"; else "$@"; fi
}

db_url() { printf 'postgres://%s@127.0.0.1:%s/%s' "$RUN_USER" "$PORT" "$DB"; }

install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  [ "${GAM_SKIP_APT:-0}" = "1" ] && die "packages missing (${missing[*]}) and GAM_SKIP_APT=1"
  log "apt-get: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
  [ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb missing after installing ${missing[*]}"
}

is_running() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; }

cmd_start() {
  install_packages
  if [ "$(id -u)" -eq 0 ] && ! id "$RUN_USER" >/dev/null 2>&1; then
    log "creating system user $RUN_USER"
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$RUN_USER"
  fi
  if is_running; then
    log "a server already answers on 127.0.0.1:$PORT; reusing it"
  else
    mkdir -p "$BASE"
    [ "$(id -u)" -eq 0 ] && chown "$RUN_USER" "$BASE"
    if [ ! -s "$DATA/PG_VERSION" ]; then
      log "initdb $DATA (user $RUN_USER)"
      as_owner "$PG_BIN/initdb" -D "$DATA" -U "$RUN_USER" --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$BASE/initdb.log" 2>&1 || {
        cat "$BASE/initdb.log" >&2
        die "initdb failed (log above)"
      }
    fi
    as_owner mkdir -p "$SOCK"
    log "starting PostgreSQL $PG_VERSION on 127.0.0.1:$PORT (log $LOGFILE)"
    as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c fsync=off -c max_connections=100" \
      start >&2 || {
      tail -n 30 "$LOGFILE" >&2 || true
      die "pg_ctl start failed (log above)"
    }
  fi
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$RUN_USER")
  if [ "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
    log "creating database $DB"
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$DB\"" >&2
  fi
  "${psql[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2
  log "ready: $(db_url) ($("${psql[@]}" -d "$DB" -tAc 'SELECT postgis_lib_version()' | tr -d ' ') PostGIS)"
  printf 'export DATABASE_URL=%q\n' "$(db_url)"
}

cmd_stop() {
  if [ -s "$DATA/PG_VERSION" ]; then
    if as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      log "stopping the cluster in $DATA"
      as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
    fi
  fi
  if [ -d "$BASE" ]; then
    log "removing $BASE"
    rm -rf "$BASE"
  fi
}

# Stops the server and keeps its data (a database outage, for tests); `start` brings it back.
cmd_halt() {
  [ -s "$DATA/PG_VERSION" ] || die "no cluster in $DATA"
  if as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    log "halting the cluster in $DATA (data kept)"
    as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
  fi
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
halt) cmd_halt ;;
status) cmd_status ;;
url) cmd_url db_url ;;
*)
  printf 'usage: %s start|stop|halt|status|url\n' "$0" >&2
  exit 2
  ;;
esac
