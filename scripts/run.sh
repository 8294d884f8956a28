#!/usr/bin/env bash
# The run command: sets up the build tools, builds the widget and the console, and starts confab-server on
# ./confab-data.
# The first start creates the demo app and prints its credentials and the demo page's URL.
# Extra arguments go to `confab-server serve` (for example --listen 0.0.0.0:8080).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh build
bash scripts/build-widget.sh
bash scripts/build-console.sh
exec cargo run --release --quiet -p confab-server -- serve --demo --data-dir ./confab-data --widget-dir ./dist --console-dir ./console/dist "$@"
