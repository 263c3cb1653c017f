"""Train the Rasa model only when its inputs changed (content hash of config, domain, data)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT

MODELS_DIR = ROOT / "models"
TRAINING_DATA = ("data/nlu", "data/rules", "data/stories")


def training_inputs() -> list[Path]:
    """What the Rasa model is trained from. data/reference/ (places, themes) is read by the action server at
    run time and is not part of it, so a new street or theme example does not retrain the model."""
    files = [ROOT / "config.yml", ROOT / "domain.yml"]
    for folder in TRAINING_DATA:
        files += sorted(p for p in (ROOT / folder).rglob("*") if p.is_file())
    return files


def content_hash() -> str:
    digest = hashlib.sha256()
    for path in training_inputs():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS_DIR / f"stadsvraag-{content_hash()}.tar.gz"


def train_if_stale(force: bool = False) -> Path:
    """Return the model for the current inputs, training it first when missing."""
    target = model_path()
    if target.exists() and not force:
        print(f"==> model up to date: {target.relative_to(ROOT)}")
        return target
    MODELS_DIR.mkdir(exist_ok=True)
    print(f"==> training {target.name} (config, domain or data changed)")
    cmd = [
        sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain", "domain.yml",
        "--data", *TRAINING_DATA, "--out", str(MODELS_DIR), "--fixed-model-name", target.name[: -len(".tar.gz")],
    ]
    subprocess.run(cmd, cwd=ROOT, check=True)
    for old in MODELS_DIR.glob("stadsvraag-*.tar.gz"):
        if old != target:
            old.unlink()
    return target
