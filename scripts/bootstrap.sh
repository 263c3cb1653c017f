#!/usr/bin/env bash
# Creates .venv with Python 3.10, installs the locked dependencies, the project
# and the Dutch spaCy pipeline. Idempotent: a stamp file skips work already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"

is_python310() {
    "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1
}

find_python310() {
    local candidates=()
    # pyenv's shim may exist without a selected 3.10, so every candidate is run once.
    command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
    if command -v pyenv >/dev/null 2>&1; then
        candidates+=("$(pyenv root)"/versions/3.10.*/bin/python3.10)
    fi
    candidates+=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10)
    for p in "${candidates[@]}"; do
        if [ -x "$p" ] && is_python310 "$p"; then echo "$p"; return 0; fi
    done
    return 1
}

if [ ! -x "$VENV/bin/python" ] || ! is_python310 "$VENV/bin/python"; then
    PY=$(find_python310) || {
        echo "ERROR: Python 3.10 not found. Rasa 3.6 runs only on Python 3.10." >&2
        echo "Fix: install it, e.g. 'pyenv install 3.10.13', or put python3.10 on PATH." >&2
        exit 1
    }
    echo "==> creating .venv with $PY"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
fi

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
STAMP="$VENV/.stadsvraag-deps"
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-64)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
    echo "==> installing locked dependencies (requirements.lock)"
    "${PIP[@]}" install -q "pip<24.1" "setuptools<71" wheel
    "${PIP[@]}" install -q -r requirements.lock
    "${PIP[@]}" install -q --no-deps --no-build-isolation -e .
    echo "$want" > "$STAMP"
fi

if ! "$VENV/bin/python" -c 'import nl_core_news_sm' >/dev/null 2>&1; then
    official="https://github.com/explosion/spacy-models/releases/download/nl_core_news_sm-3.4.0/nl_core_news_sm-3.4.0-py3-none-any.whl"
    echo "==> installing the Dutch spaCy pipeline nl_core_news_sm 3.4.0 (official release)"
    if ! "${PIP[@]}" install -q --no-deps --timeout 15 --retries 0 "nl_core_news_sm @ $official" 2>/dev/null; then
        wheel="${SPACY_NL_WHEEL:-}"
        if [ -z "$wheel" ]; then
            wheel=$(ls "$ROOT"/../shared/models/nl_core_news_sm-*.whl 2>/dev/null | head -n1 || true)
        fi
        if [ -z "$wheel" ] || [ ! -f "$wheel" ]; then
            echo "ERROR: could not download nl_core_news_sm 3.4.0 and no fallback wheel found." >&2
            echo "Fix: set SPACY_NL_WHEEL=/path/to/nl_core_news_sm-3.4.0*.whl or place it in ../shared/models/." >&2
            exit 1
        fi
        echo "==> official release unreachable; installing fallback wheel $(basename "$wheel")"
        "${PIP[@]}" install -q --no-deps "$wheel"
    fi
fi
echo "==> environment ready: $VENV"
