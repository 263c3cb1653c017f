"""Rasa's channel credentials with only the channels whose settings are all present.

credentials.yml holds every channel with `${VAR}` placeholders. Rasa refuses to start
when a placeholder is unset, so `stadsvraag run` writes a runtime copy that keeps a
channel only when all of its required variables are set (`${VAR:-}` marks an optional
one), substituting nothing itself: Rasa reads the `${VAR}` values from the environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

_VAR = re.compile(r"\$\{([A-Z0-9_]+)(:-[^}]*)?\}")


def required_variables(section: Any) -> set[str]:
    text = yaml.safe_dump(section) if section is not None else ""
    return {m.group(1) for m in _VAR.finditer(text) if m.group(2) is None}


def active_channels(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        channels = yaml.safe_load(f) or {}
    return {name: section for name, section in channels.items()
            if all(env.get(var) for var in required_variables(section))}


def _resolve_optional(section: Any, env: Mapping[str, str]) -> Any:
    """Rasa only knows ${VAR}: give optional ${VAR:-default} their value here."""
    if isinstance(section, dict):
        return {k: _resolve_optional(v, env) for k, v in section.items()}
    if isinstance(section, str):
        return _VAR.sub(lambda m: env.get(m.group(1), (m.group(2) or ":-")[2:]) if m.group(2) is not None
                        else m.group(0), section)
    return section


def write_runtime_credentials(source: Path, target: Path, env: Mapping[str, str]) -> list[str]:
    channels = {name: _resolve_optional(section, env) for name, section in active_channels(source, env).items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8") as f:
        f.write("# Written by stadsvraag run from credentials.yml; do not edit.\n")
        yaml.safe_dump(channels, f, sort_keys=False)
    return list(channels)
