#!/usr/bin/env python3
"""Dependency audit: every pinned package in requirements.lock against an advisory database.

Runs pip-audit (pinned version, in its own venv .venv-tools because its dependencies clash with
Rasa's pins) first against PyPI's vulnerability feed, then against OSV when PyPI's feed cannot be
reached, and decides from its JSON output. Standard library only: any python3 can run this file.

Exit codes:
  0  passed, or AUDIT NOT COMPLETED (advisory database unreachable) without AUDIT_REQUIRED=1
  1  failed: an advisory not in the allow-list, an allow-list entry without reason or past its
     review date, a package that could not be looked up and is not listed under [not on PyPI],
     or pip-audit itself failed in an unexpected way
  2  AUDIT NOT COMPLETED and AUDIT_REQUIRED=1 (production CI, which has internet access)

See docs/audit.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
ALLOWLIST = ROOT / "scripts" / "audit-allowlist.txt"
SUMMARY = ROOT / "var" / "results" / "audit.json"
TOOLS = ROOT / ".venv-tools"

PIP_AUDIT_VERSION = "2.10.1"  # needs Python >= 3.10
TOOLS_MIN_PYTHON = (3, 10)
SERVICES = ("pypi", "osv")  # tried in this order; the next one only when the previous is unreachable
SOCKET_TIMEOUT = 10  # pip-audit --timeout: seconds per network operation
BUDGET_SECONDS = 110  # the whole step, installation included (AUDIT_BUDGET_SECONDS overrides)
INSTALL_SECONDS = 60  # at most this much of the budget for creating .venv-tools
RESERVE_SECONDS = 25  # kept back from one service for the next one
MIN_ATTEMPT_SECONDS = 10
# A service that leaves at least this share of the packages not looked up counts as unreachable.
UNREACHABLE_SHARE = 0.9

NOT_ON_PYPI_SECTION = "not on pypi"
REVIEW_RE = re.compile(r"[;,]?\s*review\s+by\s+(\S+)\s*$", re.IGNORECASE)
# pip-audit has no structured error output; these markers in its stderr mean "network / service".
NETWORK_MARKERS = (
    "Could not connect to",
    "network may be blocking",
    "requests.exceptions.",
    "urllib3.exceptions.",
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "ServiceError",
    "ProxyError",
    "SSLError",
)


# --------------------------------------------------------------------------- allow-list


@dataclass
class AllowEntry:
    key: str  # advisory id (upper case) or canonical package name
    reason: str
    review_by: dt.date | None
    line: int


@dataclass
class AllowList:
    advisories: dict[str, AllowEntry] = field(default_factory=dict)
    not_on_pypi: dict[str, AllowEntry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def canonical_name(name: str) -> str:
    """PEP 503 normalisation, as pip-audit reports names (nl_core_news_sm -> nl-core-news-sm)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_allowlist(text: str, today: dt.date, path: str = "scripts/audit-allowlist.txt") -> AllowList:
    """Entries look like `ID  # reason; review by YYYY-MM-DD`.

    Lines after a `[not on PyPI]` header name packages that are not published on PyPI (so no
    advisory database knows them) in the same format. Every entry needs a reason and a review
    date that has not passed; anything else is a problem that fails the audit.
    """
    allow = AllowList()
    section = "advisories"
    fmt = "'ID  # why it is accepted; review by YYYY-MM-DD'"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            header = " ".join(line[1:-1].split()).lower()
            if header == NOT_ON_PYPI_SECTION:
                section = "not_on_pypi"
            elif header == "advisories":
                section = "advisories"
            else:
                allow.problems.append(
                    f"{path}:{number}: unknown section {line}. "
                    "Fix: use [not on PyPI] (or [advisories]) as section header."
                )
            continue
        key, _, comment = line.partition("#")
        key = key.strip()
        where = f"{path}:{number}: {key}"
        if len(key.split()) != 1:
            allow.problems.append(
                f"{where}: one advisory id or package name per line. Fix: write it as {fmt}."
            )
            continue
        match = REVIEW_RE.search(comment)
        reason = (comment[: match.start()] if match else comment).strip(" ;,\t")
        review_by: dt.date | None = None
        if not reason:
            allow.problems.append(
                f"{where} has no reason. Fix: say why it is accepted: {fmt}."
            )
        if match is None:
            allow.problems.append(
                f"{where} has no review date. Fix: end the line with '; review by YYYY-MM-DD'."
            )
        else:
            try:
                review_by = dt.date.fromisoformat(match.group(1))
            except ValueError:
                allow.problems.append(
                    f"{where}: review date {match.group(1)!r} is not YYYY-MM-DD. Fix: {fmt}."
                )
            else:
                if review_by < today:
                    allow.problems.append(
                        f"{where}: review date {review_by} has passed. Fix: check whether a fixed "
                        "version exists now (then upgrade it in requirements.lock and remove the "
                        "line) or, if it is still acceptable, rewrite the reason and give a new "
                        "review date."
                    )
        if section == "not_on_pypi":
            allow.not_on_pypi[canonical_name(key)] = AllowEntry(canonical_name(key), reason, review_by, number)
        else:
            allow.advisories[key.upper()] = AllowEntry(key.upper(), reason, review_by, number)
    return allow


# --------------------------------------------------------------------------- pip-audit output


@dataclass
class Vuln:
    id: str
    aliases: list[str]
    fix_versions: list[str]
    description: str = ""

    def ids(self) -> list[str]:
        return [self.id.upper(), *(a.upper() for a in self.aliases)]


@dataclass
class Dep:
    name: str
    version: str | None  # None when pip-audit skipped it
    vulns: list[Vuln]
    skip_reason: str | None = None


@dataclass
class Attempt:
    service: str
    outcome: str  # "ok" | "unreachable" | "error"
    deps: list[Dep] | None
    detail: str
    seconds: float

    @property
    def looked_up(self) -> int:
        return sum(1 for d in self.deps or [] if d.version is not None)

    @property
    def skipped(self) -> list[Dep]:
        return [d for d in self.deps or [] if d.version is None]


def parse_pip_audit_json(text: str) -> list[Dep]:
    """pip-audit 2.x `-f json`: {"dependencies": [...], "fixes": [...]} (see its _format/json.py).

    A looked-up package is {"name", "version", "vulns": [{"id", "fix_versions", "aliases",
    "description"}]}; a skipped one is {"name", "skip_reason"}.
    """
    data = json.loads(text)
    deps = []
    for item in data["dependencies"]:
        if "skip_reason" in item or "version" not in item:
            deps.append(Dep(item["name"], None, [], item.get("skip_reason") or "skipped"))
            continue
        vulns = [
            Vuln(
                id=v["id"],
                aliases=list(v.get("aliases") or []),
                fix_versions=[str(f) for f in v.get("fix_versions") or []],
                description=v.get("description") or "",
            )
            for v in item.get("vulns") or []
        ]
        deps.append(Dep(item["name"], str(item["version"]), vulns))
    return deps


def _last_line(text: str, limit: int = 220) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "(no output)"
    # pip-audit's fatal errors end with a generic tip; the line before it says what happened.
    if last.startswith("ERROR:pip_audit._cli:Tip:") and len(lines) > 1:
        last = lines[-2]
    return last if len(last) <= limit else last[: limit - 3] + "..."


def _network_reason(stderr: str) -> str:
    """A short reason from pip-audit's stderr (often a requests/urllib3 traceback)."""
    for line in stderr.splitlines():
        if "Could not connect to" in line:
            return line.split("ERROR:pip_audit._cli:")[-1].strip()
    host = re.search(r"host='([^']+)'", stderr)
    where = f" {host.group(1)}" if host else ""
    if "NameResolutionError" in stderr or "Failed to resolve" in stderr:
        return f"could not resolve{where} (DNS)"
    if "Timeout" in stderr or "timed out" in stderr:
        return f"timed out talking to{where}"
    if "ProxyError" in stderr:
        return f"proxy refused the connection to{where}"
    if "SSLError" in stderr:
        return f"TLS failure talking to{where}"
    return _last_line(stderr, 160)


def attempt_from_output(service: str, returncode: int, stdout: str, stderr: str, seconds: float) -> Attempt:
    """Classify one pip-audit run. Exit code 1 with JSON only means "vulnerabilities found"."""
    try:
        deps = parse_pip_audit_json(stdout.strip()) if stdout.strip() else None
    except (ValueError, KeyError, TypeError):
        deps = None
    if deps is not None:
        skipped = sum(1 for d in deps if d.version is None)
        if deps and skipped >= UNREACHABLE_SHARE * len(deps):
            reasons = {d.skip_reason for d in deps if d.version is None}
            example = sorted(r for r in reasons if r)[0] if reasons else ""
            return Attempt(
                service, "unreachable", deps,
                f"{skipped} of {len(deps)} packages not looked up (e.g. {example!r})", seconds,
            )
        return Attempt(service, "ok", deps, f"{len(deps) - skipped} of {len(deps)} packages looked up", seconds)
    if any(marker in stderr for marker in NETWORK_MARKERS):
        return Attempt(service, "unreachable", None, _network_reason(stderr), seconds)
    return Attempt(service, "error", None, f"pip-audit exit {returncode}: {_last_line(stderr)}", seconds)


# --------------------------------------------------------------------------- decision


@dataclass
class Report:
    exit_code: int
    verdict: str  # "passed" | "failed" | "not_completed"
    lines: list[str]
    summary: dict


def count_lock_packages(text: str) -> int:
    return sum(
        1 for line in text.splitlines()
        if line.strip() and not line.strip().startswith(("#", "-"))
    )


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return ["    " + fmt.format(*header).rstrip()] + ["    " + fmt.format(*r).rstrip() for r in rows]


def decide(
    attempts: list[Attempt],
    allow: AllowList,
    *,
    required: bool,
    total_packages: int,
    allowlist_path: str = "scripts/audit-allowlist.txt",
    setup_problem: str | None = None,
) -> Report:
    """Turn pip-audit attempts and the allow-list into a verdict, output lines and a summary."""
    lines: list[str] = []
    problems: list[str] = list(allow.problems)
    warnings: list[str] = []

    ok = [a for a in attempts if a.outcome == "ok"]
    with_deps = [a for a in attempts if a.deps is not None]
    best = ok[0] if ok else max(with_deps, key=lambda a: a.looked_up, default=None)
    deps = best.deps if best and best.deps is not None else []
    total = len(deps) if deps else total_packages
    looked_up = best.looked_up if best else 0
    skipped = best.skipped if best else []
    completed = bool(ok)
    errors = [a for a in attempts if a.outcome == "error"]

    # Advisories, from whatever was looked up (a known vulnerability counts even in a partial run).
    advisories = []
    bad_rows = []
    seen_ids: set[str] = set()
    for dep in deps:
        for v in dep.vulns:
            ids = v.ids()
            seen_ids.update(ids)
            accepted = next((i for i in ids if i in allow.advisories), None)
            advisories.append({
                "package": dep.name, "version": dep.version, "id": v.id, "aliases": v.aliases,
                "fix_versions": v.fix_versions, "allow_listed": accepted,
            })
            if accepted is None:
                bad_rows.append([dep.name, dep.version or "", v.id, ", ".join(v.fix_versions) or "none",
                                 ", ".join(v.aliases)])
    allow_listed = sorted({a["allow_listed"] for a in advisories if a["allow_listed"]})

    if bad_rows:
        n = len(bad_rows)
        problems.append(f"{n} known {'vulnerability' if n == 1 else 'vulnerabilities'} not in {allowlist_path}")
        lines.append(f"AUDIT FAILED: {n} known {'vulnerability' if n == 1 else 'vulnerabilities'} "
                     f"not in {allowlist_path}:")
        lines += _table(bad_rows, ["package", "version", "advisory", "fix versions", "aliases"])
        lines.append("  Fix: upgrade the package in requirements.lock to a fix version; or, only if the "
                     f"advisory does not affect Stadsvraag, add it to {allowlist_path} as "
                     "'ID  # why it does not apply; review by YYYY-MM-DD'.")

    if allow.problems:
        lines.append(f"AUDIT FAILED: {len(allow.problems)} problem(s) in {allowlist_path}:")
        lines += [f"  - {p}" for p in allow.problems]

    if errors and not completed:
        for a in errors:
            problems.append(f"pip-audit failed ({a.service}): {a.detail}")
        lines.append("AUDIT FAILED: pip-audit did not run properly:")
        lines += [f"  - {a.service}: {a.detail}" for a in errors]
        lines.append("  Fix: run scripts/audit.py --verbose to see pip-audit's full output.")

    not_completed_line = None
    if setup_problem:
        not_completed_line = f"AUDIT NOT COMPLETED: {setup_problem}"
    elif not completed and not errors:
        not_completed_line = (
            "AUDIT NOT COMPLETED: the advisory database could not be reached "
            f"({total - looked_up} of {total} packages not looked up)"
        )
    elif completed and skipped:
        unlisted = [d for d in skipped if canonical_name(d.name) not in allow.not_on_pypi]
        if unlisted:
            names = ", ".join(f"{d.name} ({d.skip_reason})" for d in unlisted)
            problems.append(f"{len(unlisted)} package(s) not looked up and not under [not on PyPI]")
            lines.append(f"AUDIT FAILED: {len(unlisted)} package(s) could not be looked up in the advisory "
                         f"database and are not listed under [not on PyPI] in {allowlist_path}: {names}")
            lines.append("  Fix: if the package is not published on PyPI (a local wheel, a URL), add it "
                         f"under [not on PyPI] in {allowlist_path} as "
                         "'name  # where it comes from and why that is acceptable; review by YYYY-MM-DD'.")
        for d in skipped:
            if canonical_name(d.name) in allow.not_on_pypi:
                lines.append(f"  not on PyPI (accepted in {allowlist_path}): {d.name}")

    if completed:
        for key, entry in sorted(allow.advisories.items()):
            if key not in seen_ids:
                warnings.append(f"{allowlist_path}:{entry.line}: {key} is no longer reported for any "
                                "package; remove the line.")
        skipped_names = {canonical_name(d.name) for d in skipped}
        for key, entry in sorted(allow.not_on_pypi.items()):
            if key not in skipped_names:
                warnings.append(f"{allowlist_path}:{entry.line}: {key} is under [not on PyPI] but was not "
                                "skipped (looked up, or not in requirements.lock); remove the line.")
    lines += [f"WARNING: {w}" for w in warnings]

    if problems:
        exit_code, verdict = 1, "failed"
    elif not_completed_line:
        exit_code, verdict = (2 if required else 0), "not_completed"
    else:
        exit_code, verdict = 0, "passed"

    if not_completed_line:
        lines.append("!" * 100)
        lines.append(not_completed_line)
        if setup_problem is None:
            tried = ", ".join(f"{a.service} ({a.outcome})" for a in attempts) or "no service"
            lines.append(f"  Tried: {tried}; details above and in the summary file.")
            lines.append("  The dependencies were NOT checked for known vulnerabilities. This is expected on a "
                         "machine without access to pypi.org's vulnerability API or api.osv.dev; a machine "
                         "with internet access gets real results.")
        if required:
            lines.append("  AUDIT_REQUIRED=1 is set, so this is a failure (exit 2).")
        else:
            lines.append("  Accepted here (exit 0) because AUDIT_REQUIRED is not set; production CI (internet "
                         "access) must set AUDIT_REQUIRED=1, and then this fails (exit 2). See docs/audit.md.")
        lines.append("!" * 100)
    elif verdict == "passed":
        service = best.service if best else "?"
        extra = f", {len(allow_listed)} allow-listed advisories" if allow_listed else ""
        lines.append(f"AUDIT PASSED: {looked_up} of {total} packages looked up ({service} service), "
                     f"no known vulnerabilities outside {allowlist_path}{extra}.")

    summary = {
        "verdict": verdict,
        "exit_code": exit_code,
        "audit_required": required,
        "service": best.service if completed and best else None,
        "packages": total,
        "looked_up": looked_up,
        "skipped": total - looked_up,
        "skipped_packages": [d.name for d in skipped],
        "advisories": advisories,
        "allow_listed": allow_listed,
        "problems": problems + ([not_completed_line] if not_completed_line else []),
        "warnings": warnings,
        "attempts": [
            {"service": a.service, "outcome": a.outcome, "looked_up": a.looked_up,
             "seconds": round(a.seconds, 1), "detail": a.detail}
            for a in attempts
        ],
    }
    return Report(exit_code, verdict, lines, summary)


# --------------------------------------------------------------------------- running pip-audit


class SetupError(Exception):
    """pip-audit could not be made available."""


def _python_ok(python: str) -> bool:
    probe = f"import sys, venv, ensurepip; sys.exit(sys.version_info[:2] < {TOOLS_MIN_PYTHON!r})"
    try:
        return subprocess.run([python, "-c", probe], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_tools_python() -> str | None:
    """A Python >= 3.10 with venv: this interpreter, else one found like scripts/bootstrap.sh does."""
    candidates = [sys.executable]
    for name in ("python3.10", "python3.11", "python3.12", "python3.13", "python3"):
        found = shutil.which(name)
        if found:
            candidates.append(found)
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    for minor in ("10", "11", "12", "13"):
        candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.{minor}.*/bin/python3.{minor}"))
        candidates += [f"/usr/bin/python3.{minor}", f"/usr/local/bin/python3.{minor}"]
    seen = set()
    for candidate in candidates:
        if candidate and candidate not in seen and os.access(candidate, os.X_OK):
            seen.add(candidate)
            if _python_ok(candidate):
                return candidate
    return None


def _installed_version(python: Path) -> str | None:
    probe = "import importlib.metadata as m; print(m.version('pip-audit'))"
    try:
        done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_pip_audit(deadline: float, log: Callable[[str], None]) -> Path:
    """.venv-tools/bin/pip-audit at PIP_AUDIT_VERSION; created or repaired when needed."""
    python = TOOLS / "bin" / "python"
    pip_audit = TOOLS / "bin" / "pip-audit"
    if _installed_version(python) == PIP_AUDIT_VERSION and pip_audit.exists():
        return pip_audit

    def limit() -> float:
        return max(5.0, min(INSTALL_SECONDS, deadline - time.monotonic()))

    try:
        if _installed_version(python) is None and not (python.exists() and _python_ok(str(python))):
            base = find_tools_python()
            if base is None:
                raise SetupError(
                    "no Python >= 3.10 found for pip-audit's venv (.venv-tools). "
                    "Fix: install Python 3.10 (e.g. 'pyenv install 3.10.13'), as scripts/bootstrap.sh needs."
                )
            log(f"==> creating {TOOLS.name} with {base}")
            shutil.rmtree(TOOLS, ignore_errors=True)
            subprocess.run([base, "-m", "venv", str(TOOLS)], check=True, capture_output=True, timeout=limit())
        log(f"==> installing pip-audit {PIP_AUDIT_VERSION} into {TOOLS.name}")
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--timeout", str(SOCKET_TIMEOUT), "--retries", "1", f"pip-audit=={PIP_AUDIT_VERSION}"],
            capture_output=True, text=True, timeout=limit(),
        )
    except subprocess.TimeoutExpired as exc:
        raise SetupError(f"pip-audit {PIP_AUDIT_VERSION} could not be installed into {TOOLS.name} "
                         f"(no result within {exc.timeout:.0f} s)") from exc
    except subprocess.CalledProcessError as exc:
        raise SetupError(f"could not create {TOOLS.name}: {_last_line(exc.stderr.decode(errors='replace'))}") from exc
    if done.returncode != 0 or not pip_audit.exists():
        raise SetupError(f"pip-audit {PIP_AUDIT_VERSION} could not be installed into {TOOLS.name}: "
                         f"{_last_line(done.stderr)}")
    return pip_audit


def run_pip_audit(pip_audit: Path, service: str, lock: Path, wall_seconds: float,
                  verbose: bool = False) -> Attempt:
    cmd = [str(pip_audit), "-r", str(lock), "--no-deps", "--disable-pip", "-f", "json",
           "--progress-spinner", "off", "--timeout", str(SOCKET_TIMEOUT), "-s", service]
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=wall_seconds, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return Attempt(service, "unreachable", None, f"no answer within {wall_seconds:.0f} s",
                       time.monotonic() - start)
    if verbose:
        sys.stderr.write(f"--- pip-audit -s {service} (exit {done.returncode}) stderr:\n{done.stderr}\n")
    return attempt_from_output(service, done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def run(
    *,
    lock: Path = LOCK,
    allowlist_path: Path = ALLOWLIST,
    summary_path: Path = SUMMARY,
    required: bool = False,
    budget: float = BUDGET_SECONDS,
    today: dt.date | None = None,
    verbose: bool = False,
    ensure: Callable[[float, Callable[[str], None]], Path] = ensure_pip_audit,
    run_service: Callable[..., Attempt] = run_pip_audit,
    out: Callable[[str], None] = print,
) -> int:
    start = time.monotonic()
    deadline = start + budget
    today = today or dt.date.today()
    lock_text = lock.read_text(encoding="utf-8")
    total = count_lock_packages(lock_text)
    allow_name = _shown(allowlist_path)
    allow_text = allowlist_path.read_text(encoding="utf-8") if allowlist_path.exists() else ""
    allow = parse_allowlist(allow_text, today, allow_name)
    out(f"==> dependency audit: {total} pinned packages in {lock.name}, pip-audit {PIP_AUDIT_VERSION}, "
        f"allow-list {allow_name} ({len(allow.advisories)} advisories, {len(allow.not_on_pypi)} not on PyPI)")

    attempts: list[Attempt] = []
    setup_problem = None
    try:
        pip_audit = ensure(deadline, out)
    except SetupError as exc:
        setup_problem = str(exc)
    else:
        for index, service in enumerate(SERVICES):
            remaining = deadline - time.monotonic()
            reserve = RESERVE_SECONDS if index < len(SERVICES) - 1 else 0
            wall = max(MIN_ATTEMPT_SECONDS, remaining - reserve)
            attempt = run_service(pip_audit, service, lock, wall, verbose)
            attempts.append(attempt)
            out(f"    {service} service: {attempt.outcome}: {attempt.detail} ({attempt.seconds:.1f} s)")
            if attempt.outcome == "ok":
                break

    report = decide(attempts, allow, required=required, total_packages=total,
                    allowlist_path=allow_name, setup_problem=setup_problem)
    for line in report.lines:
        out(line)
    elapsed = time.monotonic() - start
    summary = {
        **report.summary,
        "pip_audit": PIP_AUDIT_VERSION,
        "lock_file": lock.name,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(elapsed, 1),
    }
    summary_path.parent.mkdir(parents=True, exist_ok=True)
    summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    out(f"==> audit {report.verdict} in {elapsed:.1f} s (exit {report.exit_code}); "
        f"summary: {_shown(summary_path)}")
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", "-v", action="store_true", help="show pip-audit's stderr")
    args = parser.parse_args(argv)
    required = os.environ.get("AUDIT_REQUIRED", "").strip().lower() in {"1", "true", "yes"}
    try:
        budget = float(os.environ.get("AUDIT_BUDGET_SECONDS", BUDGET_SECONDS))
    except ValueError:
        budget = BUDGET_SECONDS
    return run(required=required, budget=budget, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
