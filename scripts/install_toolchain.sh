#!/usr/bin/env bash
# Installs everything needed to build crates/gam-core to WebAssembly on a fresh Debian 12 machine.
#
# Idempotent: every step checks whether its result is already present and skips itself.
#
#   1. apt: rustc-web cargo-web rust-web-src lld-22 rustfmt-web rust-web-clippy (Debian's rustc 1.96
#      at /usr/bin, std sources in /usr/src/rustc-<ver>/library, rust-lld pointing at lld-22, and
#      `cargo fmt` / `cargo clippy` for that same rustc: a machine without rustup has none otherwise).
#   2. std for wasm32-unknown-unknown, built once from those sources with -Zbuild-std in a throw-away
#      crate, copied into /usr/lib/rustlib/wasm32-unknown-unknown/lib/.
#   3. `rustup toolchain link debian-web /usr` when rustup exists (the build uses RUSTUP_TOOLCHAIN).
#   4. wasm-bindgen-cli at exactly the wasm-bindgen version in crates/gam-core/Cargo.lock, wasm-pack.
#   5. wasm-opt from the npm package binaryen (pinned), cached in ~/.cache/gam/binaryen.
#
# Usage: scripts/install_toolchain.sh            (needs root or sudo for steps 1 and 2)
# Env:   GAM_SKIP_APT=1 skips step 1; GAM_BINARYEN_VERSION overrides the pinned binaryen version;
#        GAM_TOOLCHAIN_ONLY=system stops after steps 1-3 (the parts that need root).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCKFILE="$REPO_ROOT/crates/gam-core/Cargo.lock"
TARGET=wasm32-unknown-unknown
BINARYEN_VERSION="${GAM_BINARYEN_VERSION:-132.0.0}"
BINARYEN_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/gam/binaryen-$BINARYEN_VERSION"
DEBIAN_CARGO=/usr/bin/cargo
DEBIAN_RUSTC=/usr/bin/rustc

log() { printf '[install_toolchain] %s\n' "$*" >&2; }
die() {
  printf '[install_toolchain] ERROR: %s\n' "$*" >&2
  exit 1
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"
  fi
}

# ---------------------------------------------------------------------------------------------
# 1. Debian packages
# ---------------------------------------------------------------------------------------------
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld-22 rustfmt-web rust-web-clippy)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  log "apt: ${APT_PACKAGES[*]} already installed"
elif [ "${GAM_SKIP_APT:-0}" = "1" ]; then
  die "apt packages missing (${missing[*]}) and GAM_SKIP_APT=1"
else
  log "apt: installing ${missing[*]}"
  as_root apt-get update -q || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed (Debian 12 security updates must be enabled)"
fi
[ -x "$DEBIAN_RUSTC" ] || die "$DEBIAN_RUSTC not found after installing rustc-web"
[ -x "$DEBIAN_CARGO" ] || die "$DEBIAN_CARGO not found after installing cargo-web"

RUST_VERSION="$("$DEBIAN_RUSTC" --version | awk '{print $2}')"
RUST_SRC="/usr/src/rustc-$RUST_VERSION/library"
[ -d "$RUST_SRC" ] || die "std sources $RUST_SRC not found (package rust-web-src)"
log "Debian rustc $RUST_VERSION, std sources in $RUST_SRC"

# ---------------------------------------------------------------------------------------------
# 2. std for wasm32-unknown-unknown
# ---------------------------------------------------------------------------------------------
SYSROOT="$("$DEBIAN_RUSTC" --print sysroot)"
WASM_LIB="$SYSROOT/lib/rustlib/$TARGET/lib"
# Bump STD_RECIPE when the way std is built changes, so that machines rebuild it.
STD_RECIPE=2
STAMP="$WASM_LIB/.gam-built-for-$RUST_VERSION-r$STD_RECIPE"
if [ -f "$STAMP" ] && ls "$WASM_LIB"/libstd-*.rlib >/dev/null 2>&1; then
  log "std for $TARGET already in $WASM_LIB"
else
  log "building std for $TARGET from $RUST_SRC (takes a few minutes)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/src"
  cat >"$work/Cargo.toml" <<'EOF'
[package]
name = "gam_std_builder"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
[profile.release]
panic = "abort"
EOF
  echo '#[no_mangle] pub extern "C" fn gam_std_builder_probe(x: u32) -> u32 { x + 1 }' >"$work/src/lib.rs"
  # std's own dependencies (dlmalloc, ...) come from crates.io or from the vendored copy; their
  # source paths end up in panic messages inside the rlibs, so map both routes (and any cargo
  # home) to one fixed prefix: the wasm the project builds must not depend on $HOME.
  CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
  remap="--remap-path-prefix=$RUST_SRC/vendor=/rust-std-deps"
  for d in "$CARGO_HOME_DIR"/registry/src/*/; do
    [ -d "$d" ] && remap="$remap --remap-path-prefix=${d%/}=/rust-std-deps"
  done
  # A registry index folder created by the first build itself is only known afterwards: the
  # crates.io one has a fixed name for this cargo version.
  remap="$remap --remap-path-prefix=$CARGO_HOME_DIR/registry/src/index.crates.io-1949cf8c6b5b557f=/rust-std-deps"
  build_std() {
    (cd "$work" && env PATH="/usr/bin:$PATH" RUSTC="$DEBIAN_RUSTC" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$work/target" \
      RUSTFLAGS="$remap" \
      "$DEBIAN_CARGO" build --release --target "$TARGET" -Zbuild-std=std,panic_abort "$@")
  }
  if ! build_std; then
    log "build with crates.io failed; retrying offline with the vendored sources in $RUST_SRC/vendor"
    mkdir -p "$work/.cargo"
    cat >"$work/.cargo/config.toml" <<EOF
[source.crates-io]
replace-with = "vendored"
[source.vendored]
directory = "$RUST_SRC/vendor"
EOF
    build_std --offline || die "building std for $TARGET failed (see cargo output above)"
  fi
  as_root mkdir -p "$WASM_LIB"
  as_root rm -f "$WASM_LIB"/lib*.rlib "$WASM_LIB"/.gam-built-for-*
  n=0
  for f in "$work/target/$TARGET/release/deps/"lib*.rlib; do
    case "$(basename "$f")" in libgam_std_builder*) continue ;; esac
    as_root cp "$f" "$WASM_LIB/"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || die "no rlibs produced in $work/target/$TARGET/release/deps"
  as_root touch "$STAMP"
  log "copied $n rlibs into $WASM_LIB"
fi

# ---------------------------------------------------------------------------------------------
# 3. rustup link (the rustup proxies in ~/.cargo/bin come first on PATH and have no wasm32 target)
# ---------------------------------------------------------------------------------------------
if command -v rustup >/dev/null; then
  if rustup toolchain list | grep -q '^debian-web'; then
    log "rustup toolchain debian-web already linked"
  else
    log "rustup toolchain link debian-web /usr"
    rustup toolchain link debian-web /usr || die "rustup toolchain link debian-web /usr failed"
  fi
else
  log "rustup not found: the build uses /usr/bin first on PATH"
fi

if [ "${GAM_TOOLCHAIN_ONLY:-}" = system ]; then
  log "GAM_TOOLCHAIN_ONLY=system: stopping before the per-user tools (steps 4 and 5)"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# 4. wasm-bindgen-cli (exact version from Cargo.lock) and wasm-pack
# ---------------------------------------------------------------------------------------------
[ -f "$LOCKFILE" ] || die "$LOCKFILE not found"
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' "$LOCKFILE")"
[ -n "$WB_VERSION" ] || die "no wasm-bindgen package in $LOCKFILE"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
# Build the tools with Debian's cargo (rustup's default toolchain may be older than the tools need).
cargo_install() { env PATH="/usr/bin:$PATH" RUSTC="$DEBIAN_RUSTC" "$DEBIAN_CARGO" install --root "${CARGO_HOME:-$HOME/.cargo}" "$@"; }
if [ -x "$CARGO_BIN/wasm-bindgen" ] && "$CARGO_BIN/wasm-bindgen" --version | grep -q " $WB_VERSION\$"; then
  log "wasm-bindgen-cli $WB_VERSION already installed"
else
  log "cargo install wasm-bindgen-cli --version $WB_VERSION --locked"
  # --locked can fail when the registry lacks a version pinned in the tool's own lockfile
  # (seen here: webpki-roots 1.0.11); then resolve afresh within the tool's semver ranges.
  cargo_install wasm-bindgen-cli --version "$WB_VERSION" --locked --force ||
    { log "--locked install failed; retrying without --locked" &&
      cargo_install wasm-bindgen-cli --version "$WB_VERSION" --force; } ||
    die "cargo install wasm-bindgen-cli $WB_VERSION failed"
fi
if [ -x "$CARGO_BIN/wasm-pack" ]; then
  log "wasm-pack already installed ($("$CARGO_BIN/wasm-pack" --version))"
else
  log "cargo install wasm-pack --locked"
  cargo_install wasm-pack --locked ||
    { log "--locked install failed; retrying without --locked" && cargo_install wasm-pack; } ||
    die "cargo install wasm-pack failed"
fi

# ---------------------------------------------------------------------------------------------
# 5. wasm-opt from npm binaryen (pinned)
# ---------------------------------------------------------------------------------------------
if [ -x "$BINARYEN_DIR/node_modules/.bin/wasm-opt" ] &&
  "$BINARYEN_DIR/node_modules/.bin/wasm-opt" --version >/dev/null 2>&1; then
  log "wasm-opt (npm binaryen@$BINARYEN_VERSION) already in $BINARYEN_DIR"
elif command -v npm >/dev/null; then
  log "npm install binaryen@$BINARYEN_VERSION into $BINARYEN_DIR"
  mkdir -p "$BINARYEN_DIR"
  (cd "$BINARYEN_DIR" && [ -f package.json ] || echo '{"private":true}' >package.json)
  npm install --prefix "$BINARYEN_DIR" --no-audit --no-fund --save-exact "binaryen@$BINARYEN_VERSION" ||
    die "npm install binaryen@$BINARYEN_VERSION failed"
  "$BINARYEN_DIR/node_modules/.bin/wasm-opt" --version >/dev/null || die "wasm-opt from binaryen does not run"
else
  die "npm not found: install nodejs/npm for wasm-opt (npm package binaryen@$BINARYEN_VERSION)"
fi

log "done: rustc $RUST_VERSION, wasm-bindgen $WB_VERSION, $("$CARGO_BIN/wasm-pack" --version)," \
  "wasm-opt $("$BINARYEN_DIR/node_modules/.bin/wasm-opt" --version)"
