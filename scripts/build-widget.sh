#!/usr/bin/env bash
# Builds the widget (release, size-tuned) into dist/, offline, using the tools setup.sh installs: trunk
# builds the frame page, the CSS and the copied folders; the wasm is built here, split at the functions
# `src/parts.rs` describes, by wasm-split (each such part is a wasm file the panel fetches on first use), bound by
# wasm-bindgen and shrunk by wasm-opt, then placed with one content hash by scripts/place-wasm.mjs, which
# writes the frame's bootstrap. The host page's scripts (snippet/confab.js, snippet/confab-host.js) are
# minified next to it (the server splices their specs in when it starts), and what the server serves is
# precompressed: `confab-server widget compress` writes <file>.br and <file>.gz beside each file, so a
# server start compresses nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"

# trunk empties dist/ on every build: the precompressed siblings are kept aside and put back beside the
# files that are still there, and `widget compress` leaves alone each one that still decodes to its file
# (a rebuild that changes nothing recompresses nothing; compressing everything takes about a minute).
kept="$(mktemp -d)"
split="$(mktemp -d)"
trap 'rm -rf "$kept" "$split"' EXIT
if [ -d dist ]; then
  (cd dist && find . -type f \( -name '*.br' -o -name '*.gz' \) -exec cp --parents {} "$kept" \;)
fi

trunk build --release --offline --no-color "$@" >&2

# wasm-split reads the linker's relocations (`--emit-relocs`), given to the widget's build alone.
cargo build --locked --offline --profile wasm-release --target wasm32-unknown-unknown --bin confab-widget \
  --config 'target.wasm32-unknown-unknown.rustflags = ["-Clink-args=--emit-relocs"]' >&2
wasm-split-cli "${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/wasm-release/confab-widget.wasm" "$split" --out-name confab-widget >&2
# The exports wasm-split added are what the parts link to: wasm-bindgen keeps them.
wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir "$split" --out-name confab-widget \
  "$split/confab-widget.wasm"
rm "$split/confab-widget.wasm"
for wasm in "$split"/*.wasm; do
  wasm-opt -Oz "$wasm" -o "$wasm"
done
# wasm-bindgen's glue and the split loader, minified (the glue is 57 KB as written).
for js in confab-widget.js __wasm_split.js; do
  terser "$split/$js" --module --ecma 2020 --compress passes=2 --mangle --format ecma=2020 --output "$split/$js"
done
node scripts/place-wasm.mjs "$split" dist
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
