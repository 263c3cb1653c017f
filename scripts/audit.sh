#!/usr/bin/env bash
# Dependency audit of requirements.lock (part of `make test`); all logic is in scripts/audit.py,
# which needs only a python3 (it installs pip-audit into .venv-tools itself). See docs/audit.md.
# AUDIT_REQUIRED=1 (production CI): an audit that could not reach the advisory database fails (exit 2).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(command -v python3 || true)
[ -n "$PY" ] || PY=.venv/bin/python
exec "$PY" scripts/audit.py "$@"
