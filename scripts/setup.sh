#!/usr/bin/env bash
# Installs what Confab's build and tests need, at pinned versions. Idempotent: each step checks first and
# returns in milliseconds when its tool is already there at the right version.
#
#   scripts/setup.sh build   wasm target, trunk, wasm-bindgen CLI, wasm-split-cli, wasm-opt, terser
#   scripts/setup.sh test    the above, plus Chromium, chromedriver and the end-to-end npm packages
#
# Works as root or as a user with sudo.
set -euo pipefail

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
BINARYEN_VERSION=132            # wasm-opt, as the npm package binaryen
TERSER_VERSION=5.39.0           # minifies the host page's scripts (snippet/)
WASM_SPLIT_VERSION=0.2.4        # wasm-split-cli (crate wasm_split_cli_support): the widget's lazy parts

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

say() { printf '[setup] %s\n' "$*" >&2; }

ensure_wasm_target() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown && return
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

# ensure_cargo_tool BINARY CRATE VERSION [cargo install flags...]
ensure_cargo_tool() {
  local bin=$1 crate=$2 version=$3
  shift 3
  if command -v "$bin" >/dev/null && "$bin" --version 2>/dev/null | grep -q " $version\b"; then return; fi
  say "installing $crate $version (several minutes, once per machine)"
  cargo install "$crate" --version "$version" --force "$@"
}

ensure_wasm_opt() {
  if command -v wasm-opt >/dev/null && wasm-opt --version 2>/dev/null | grep -q "version_$BINARYEN_VERSION"; then return; fi
  say "installing wasm-opt (binaryen@$BINARYEN_VERSION from npm)"
  $SUDO npm install -g --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
}

# wasm-split-cli prints no version: cargo's list of installed crates tells.
ensure_wasm_split() {
  if command -v wasm-split-cli >/dev/null && cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then return; fi
  say "installing wasm_split_cli_support $WASM_SPLIT_VERSION (a minute or two, once per machine)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --locked --force --features build-binary
}

ensure_terser() {
  if command -v terser >/dev/null && [ "$(terser --version 2>/dev/null)" = "terser $TERSER_VERSION" ]; then return; fi
  say "installing terser $TERSER_VERSION from npm"
  $SUDO npm install -g --no-audit --no-fund "terser@$TERSER_VERSION"
}

ensure_apt() {
  local missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair##*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]} from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Emoji in the screenshots (reactions, the picker) need a colour emoji font; headless Chromium has none.
ensure_emoji_font() {
  [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] && return
  say "installing fonts-noto-color-emoji from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends fonts-noto-color-emoji >/dev/null
}

ensure_npm_packages() {
  local dir="$root/tests/e2e" stamp="$root/tests/e2e/node_modules/.confab-lock"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then return; fi
  say "installing the end-to-end test packages"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
}

# The workspace's crates, downloaded: the widget's and the console's builds run offline.
ensure_crates() {
  cargo fetch --locked --manifest-path "$root/Cargo.toml"
}

setup_build() {
  ensure_wasm_target
  ensure_crates
  ensure_cargo_tool trunk trunk "$TRUNK_VERSION" --locked
  ensure_cargo_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
  ensure_wasm_split
  ensure_wasm_opt
  ensure_terser
}

setup_test() {
  setup_build
  ensure_apt chromium:chromium chromedriver:chromium-driver
  ensure_emoji_font
  ensure_npm_packages
}

case "${1:-}" in
  build) setup_build ;;
  test) setup_test ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
