"""The product's process stack with the faults the fault tests inject: a process killed, then started again."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx

from bot.config import ROOT
from bot.runtime.runner import Stack


class FaultStack(Stack):
    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        svc = self.service(name)
        if svc.process and svc.process.poll() is None:
            os.killpg(svc.process.pid, sig)
            svc.process.wait(30)

    def restart(self, name: str, timeout: float = 180.0) -> None:
        """Start a stopped service again and wait until it answers."""
        svc = self.service(name)
        if svc.process and svc.process.poll() is None:
            self.kill(name, signal.SIGTERM)
        log = open(svc.log_path or self.log_dir / f"{name}.log", "a")
        svc.process = subprocess.Popen(svc.cmd, cwd=ROOT, env={**self.env(), **svc.env}, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while svc.health_url:
            try:
                if httpx.get(svc.health_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or svc.process.poll() is not None:
                raise RuntimeError(f"{name} did not come back")
            time.sleep(0.5)
