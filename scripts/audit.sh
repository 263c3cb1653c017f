#!/usr/bin/env bash
# Dependency audit: every pinned package in requirements.lock against the PyPI advisory database.
# --strict: a package that cannot be looked up fails the audit, so it never passes by skipping.
# Not part of `make test` here: the advisory API (PyPI JSON) is not reachable from these machines.
# pip-audit lives in its own venv (.venv-tools), because its dependencies clash with Rasa's pins.
# Accepted advisories are listed, each with its reason, in scripts/audit-allowlist.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=.venv-tools
if [ ! -x "$TOOLS/bin/pip-audit" ]; then
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/pip" install -q --disable-pip-version-check "pip-audit==2.10.1"
fi
ignores=()
while read -r id _; do
    [ -n "$id" ] && [ "${id:0:1}" != "#" ] && ignores+=(--ignore-vuln "$id")
done < scripts/audit-allowlist.txt
echo "==> pip-audit on requirements.lock (${#ignores[@]} accepted advisories ignored, see scripts/audit-allowlist.txt)"
"$TOOLS/bin/pip-audit" -r requirements.lock --no-deps --disable-pip --strict --progress-spinner off "${ignores[@]+"${ignores[@]}"}"
