#!/usr/bin/env bash
# The README's first command: from a fresh clone to a running demo on one machine.
#   venv (.venv) → pip install -e . → cityops migrate → cityops seed-demo (first time only) → cityops serve
# Needs python3 (≥ 3.11) and, for the console's charts, npm. Environment: CITYOPS_DATABASE_URL (default sqlite:///./var/cityops.db),
# HOST (127.0.0.1), PORT (8000), PYTHON (python3).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "cityops needs Python 3.11 or newer as '$PYTHON' (set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "» creating .venv" >&2
    if ! "$PYTHON" -m venv .venv; then
        echo "could not create a virtual environment; on Debian/Ubuntu: apt-get install python3-venv" >&2
        rm -rf .venv
        exit 1
    fi
fi

# Install (again) only when pyproject.toml changed since the last install.
stamp=.venv/.cityops-installed
want="$(cksum pyproject.toml)"
if [ ! -x .venv/bin/cityops ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "» installing cityops into .venv" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
    printf '%s\n' "$want" > "$stamp"
fi

bash scripts/assets.sh

export CITYOPS_DATABASE_URL="${CITYOPS_DATABASE_URL:-sqlite:///./var/cityops.db}"
export CITYOPS_MEDIA_DIR="${CITYOPS_MEDIA_DIR:-./var/media}"
mkdir -p var
case "$CITYOPS_DATABASE_URL" in
    sqlite:///*) mkdir -p "$(dirname "${CITYOPS_DATABASE_URL#sqlite:///}")" ;;
esac

.venv/bin/cityops migrate
.venv/bin/cityops seed-demo   # seeds the demo district the first time; later runs leave the data alone

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
echo "» cityops on http://${HOST}:${PORT}  (console: log in e.g. as operator1 / cityops-demo; API docs: /docs)" >&2
exec .venv/bin/cityops serve --host "$HOST" --port "$PORT"
