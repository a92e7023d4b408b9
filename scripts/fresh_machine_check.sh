#!/usr/bin/env bash
# The newcomer's check: builds a fresh Debian 12 root with debootstrap, installs only Node.js,
# npm and git into it, clones the repository and runs the README's two commands as written,
# reporting each one's outcome (exit status), final line and wall time; then stops what it
# started, unmounts and removes the root.
#
# Usage (as root, with debootstrap installed; takes 30-60 minutes on 2 cores):
#   scripts/fresh_machine_check.sh [--repo PATH] [--branch NAME] [--data DIR | --no-data]
#                                  [--work DIR] [--keep]
#
#   --repo    repository to clone (default: this checkout); --branch its branch (default: the
#             checkout's current branch)
#   --data    copy the survey files of DIR into the root's user cache folder
#             (~/.cache/gam/data, where the data fetcher looks second); default /work/shared/data
#             when it exists. --no-data: the root has no data (then the tests that need it fail,
#             naming the file and its source, unless its original URL can be reached).
#   --work    where the root and the logs go (default /var/tmp/gam-fresh-<time>)
#   --keep    keep the root afterwards (unmounted) for inspection
#
# What it sets up beyond the newcomer's machine, and why: apt sources and the mirror of this
# machine; the CA certificates in /usr/local/share/ca-certificates (outbound HTTPS here is
# re-signed by a local CA), with DENO_TLS_CA_STORE=system, NODE_EXTRA_CA_CERTS, PIP_CERT and
# CARGO_HTTP_CAINFO pointing at the system store; /etc/resolv.conf for DNS.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BRANCH=""
DATA=/work/shared/data
[ -d "$DATA" ] || DATA=""
WORK="/var/tmp/gam-fresh-$(date -u +%Y%m%dT%H%M%SZ)"
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
  --repo) REPO="$2"; shift 2 ;;
  --branch) BRANCH="$2"; shift 2 ;;
  --data) DATA="$2"; shift 2 ;;
  --no-data) DATA=""; shift ;;
  --work) WORK="$2"; shift 2 ;;
  --keep) KEEP=1; shift ;;
  *) echo "usage: $0 [--repo PATH] [--branch NAME] [--data DIR | --no-data] [--work DIR] [--keep]" >&2; exit 2 ;;
  esac
done
[ -n "$BRANCH" ] || BRANCH="$(git -C "$REPO" rev-parse --abbrev-ref HEAD)"

log() { printf '[fresh_machine_check %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mounts, chroot)"
command -v debootstrap >/dev/null || die "debootstrap is not installed: apt-get install -y debootstrap"

ROOTFS="$WORK/root"
LOGS="$WORK/logs"
mkdir -p "$ROOTFS" "$LOGS"
SUMMARY="$LOGS/summary.txt"
: >"$SUMMARY"
report() { printf '%s\n' "$*" | tee -a "$SUMMARY" >&2; }

cleanup() {
  set +e
  # Processes still running inside the root (a server a failed run left): ours, end them.
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOTFS" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  for m in dev/pts dev sys proc; do
    mountpoint -q "$ROOTFS/$m" && umount -l "$ROOTFS/$m"
  done
  if [ "$KEEP" = 1 ]; then log "kept the root in $ROOTFS"; else rm -rf "$ROOTFS"; fi
  log "logs and summary in $LOGS"
}
trap cleanup EXIT

# The first URI of this machine's Debian sources: the same mirror for debootstrap.
MIRROR="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
[ -n "$MIRROR" ] || MIRROR="$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian

report "fresh-machine check of $REPO (branch $BRANCH, $(git -C "$REPO" rev-parse --short "$BRANCH")) on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
t0=$(date +%s)
log "debootstrap --variant=minbase bookworm $ROOTFS $MIRROR"
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 ||
  die "debootstrap failed (see $LOGS/debootstrap.log)"
report "debootstrap: $(($(date +%s) - t0)) s"

# apt sources and settings, DNS, CA certificates of this machine.
rm -f "$ROOTFS/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$ROOTFS/etc/apt/sources.list.d/" 2>/dev/null || true
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$ROOTFS/etc/apt/"
for f in /etc/apt/apt.conf.d/99*; do [ -f "$f" ] && cp "$f" "$ROOTFS/etc/apt/apt.conf.d/"; done
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mkdir -p "$ROOTFS/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/" 2>/dev/null || true

mount -t proc proc "$ROOTFS/proc"
mount -t sysfs sys "$ROOTFS/sys"
mount --bind /dev "$ROOTFS/dev"
mount --bind /dev/pts "$ROOTFS/dev/pts"

# Everything inside runs with a clean environment: a newcomer's root shell.
in_root() {
  chroot "$ROOTFS" /usr/bin/env -i HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive DENO_TLS_CA_STORE=system \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    CARGO_HTTP_CAINFO=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    /bin/bash -c "$1"
}

t0=$(date +%s)
log "apt-get install nodejs npm git ca-certificates (inside)"
in_root "apt-get update -q && apt-get install -y -q --no-install-recommends ca-certificates nodejs npm git && update-ca-certificates" \
  >"$LOGS/apt-node.log" 2>&1 || die "installing nodejs npm git failed (see $LOGS/apt-node.log)"
report "nodejs $(in_root 'node --version'), npm $(in_root 'npm --version'), git installed: $(($(date +%s) - t0)) s"

log "git clone --branch $BRANCH $REPO -> /root/src/gam"
mkdir -p "$ROOTFS/root/src"
git clone -q --no-hardlinks --branch "$BRANCH" "$REPO" "$ROOTFS/root/src/gam" || die "git clone failed"
if [ -n "$DATA" ]; then
  mkdir -p "$ROOTFS/root/.cache/gam/data"
  cp "$DATA"/*.gz "$DATA"/*.gdf "$DATA"/*.nc "$ROOTFS/root/.cache/gam/data/" 2>/dev/null || true
  report "survey data: copied from $DATA into the root's ~/.cache/gam/data ($(ls "$ROOTFS/root/.cache/gam/data" | wc -l) files)"
else
  report "survey data: none (--no-data)"
fi

# The README's two commands, as written, from the checkout.
run_cmd() {
  local name="$1" cmd="$2" start status end last
  log "$cmd (log $LOGS/$name.log)"
  start=$(date +%s)
  set +e
  in_root "cd /root/src/gam && $cmd" >"$LOGS/$name.log" 2>&1
  status=$?
  set -e
  end=$(date +%s)
  last="$(grep -v '^\s*$' "$LOGS/$name.log" | tail -n 1)"
  report "$cmd: exit $status in $((end - start)) s; final line: $last"
}
run_cmd run "npx -y deno@2.9.6 task run"
run_cmd test "npx -y deno@2.9.6 task test"
# What the test run said it skipped or failed (the lines above its final line); a set-up that
# stopped the run has neither list: its last lines say why.
if grep -qE '^Skipped \(|^Failed: ' "$LOGS/test.log"; then
  awk '/^Skipped \(|^Failed: /{f=1} f' "$LOGS/test.log" | head -n 80 >>"$SUMMARY" || true
else
  { echo "last lines of the test command's output:"; grep -v '^\s*$' "$LOGS/test.log" | tail -n 12; } >>"$SUMMARY"
fi
# What the two commands left in the user's folders (sizes for the README).
report "sizes: $(cd "$ROOTFS/root" && du -sh .npm .cache/* .cargo 2>/dev/null | awk '{printf "%s %s, ", $2, $1}')"
log "summary:"
cat "$SUMMARY"
