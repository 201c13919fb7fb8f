#!/usr/bin/env bash
# Browser libraries the console serves itself (htmx, ECharts), pinned in package.json /
# package-lock.json and installed with `npm ci` into node_modules — only when the lock changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: the console will run without htmx and ECharts (forms still post; charts stay empty)." >&2
    echo "On Debian: apt-get install nodejs npm" >&2
    exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "» installing browser libraries (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error
fi
