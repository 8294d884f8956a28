#!/usr/bin/env bash
# Builds the widget (release, size-tuned) into dist/ with trunk, offline, using the tools setup.sh installs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"
trunk build --release --offline --no-color "$@" >&2
