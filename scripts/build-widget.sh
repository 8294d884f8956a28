#!/usr/bin/env bash
# Builds the widget (release, size-tuned) into dist/ with trunk, offline, using the tools setup.sh installs,
# minifies the host page's scripts (snippet/confab.js, snippet/confab-host.js) next to it (the server
# splices their specs in when it starts), and precompresses what the server serves: `confab-server widget
# compress` writes <file>.br and <file>.gz beside each file, so a server start compresses nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"

# trunk empties dist/ on every build: the precompressed siblings are kept aside and put back beside the
# files that are still there, and `widget compress` leaves alone each one that still decodes to its file
# (a rebuild that changes nothing recompresses nothing; compressing everything takes about a minute).
kept="$(mktemp -d)"
trap 'rm -rf "$kept"' EXIT
if [ -d dist ]; then
  (cd dist && find . -type f \( -name '*.br' -o -name '*.gz' \) -exec cp --parents {} "$kept" \;)
fi

trunk build --release --offline --no-color "$@" >&2
for script in confab confab-host; do
  terser "snippet/$script.js" --ecma 2020 --compress passes=3,unsafe_arrows=true --mangle --toplevel \
    --format ecma=2020 --output "dist/$script.js"
done
# The parts the panel loads on first use (src/lazy/, copied by trunk), minified in place.
for lazy in dist/lazy/*.js; do
  terser "$lazy" --module --ecma 2020 --compress passes=3 --mangle --format ecma=2020 --output "$lazy"
done

(cd "$kept" && find . -type f -print0) | while IFS= read -r -d '' sibling; do
  if [ -f "dist/${sibling%.*}" ]; then cp "$kept/$sibling" "dist/$sibling"; fi
done
# The debug build: the one the tests run, with the compressors optimised (see Cargo.toml's dev profile).
cargo run --locked -p confab-server -- widget compress --widget-dir dist >&2
