#!/usr/bin/env bash
# Builds the console (the site owner's web app, console/) into console/dist with trunk, offline, using the
# tools scripts/setup.sh installs. Release build with the `console-release` profile (Cargo.toml): no size
# budget, so it is tuned for a quick build on two cores (opt-level "s", no LTO, no wasm-opt), unlike the
# widget's. The server serves console/dist at /console (index.html for client-side routes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root/console"
trunk build --release --offline --no-color "$@" >&2
for file in index.html boot.js preview.html preview.js confab-console.js confab-console_bg.wasm; do
  [ -f "dist/$file" ] || { echo "build-console: dist/$file is missing" >&2; exit 1; }
done
echo "console built: $root/console/dist" >&2
