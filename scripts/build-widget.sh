#!/usr/bin/env bash
# Builds the widget (release, size-tuned) into dist/ with trunk, offline, using the tools setup.sh installs,
# and minifies the host page's scripts (snippet/confab.js, snippet/confab-host.js) next to it; the server
# splices their specs in when it starts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"
trunk build --release --offline --no-color "$@" >&2
for script in confab confab-host; do
  terser "snippet/$script.js" --ecma 2020 --compress passes=3,unsafe_arrows=true --mangle --toplevel \
    --format ecma=2020 --output "dist/$script.js"
done
