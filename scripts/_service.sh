# shellcheck shell=bash
# Sourced by scripts/pg_cluster.sh and scripts/s3_server.sh: their messages and their `status`
# and `url` subcommands, the same for both throw-away loopback services. The sourcing script
# sets SERVICE (its name: messages are prefixed `[SERVICE]`, hints name scripts/SERVICE.sh)
# and PORT, and defines is_running (exit 0 when the service answers on 127.0.0.1:PORT).

log() { printf '[%s] %s\n' "$SERVICE" "$*" >&2; }
die() {
  printf '[%s] ERROR: %s\n' "$SERVICE" "$*" >&2
  exit 1
}

# `status`: exits 0 when the service answers, 1 otherwise.
cmd_status() {
  if is_running; then
    log "running on 127.0.0.1:$PORT"
    exit 0
  fi
  log "not running on 127.0.0.1:$PORT"
  exit 1
}

# `url`: prints the service's URL, made by the function named $1; the service must be running.
cmd_url() {
  is_running || die "no server on 127.0.0.1:$PORT (run: eval \"\$(scripts/$SERVICE.sh start)\")"
  printf '%s\n' "$("$1")"
}
