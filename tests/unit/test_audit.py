"""Decision logic of scripts/audit.py (the dependency audit in `make test`).

The pip-audit outputs below are in pip-audit 2.10.1's real `-f json` format (its _format/json.py;
the 404 and DNS outputs were captured on a machine without access to the advisory database).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"
_spec = importlib.util.spec_from_file_location("stadsvraag_audit", _PATH)
assert _spec is not None and _spec.loader is not None
audit = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = audit
_spec.loader.exec_module(audit)

TODAY = dt.date(2026, 1, 15)
ALLOW = "scripts/audit-allowlist.txt"

# pip-audit -s pypi where pypi.org/pypi/NAME/VERSION/json answers 404 (captured here).
PYPI_ALL_404 = (
    '{"dependencies": [{"name": "requests", "skip_reason": "Dependency not found on PyPI and could '
    'not be audited: requests (2.19.0)"}, {"name": "idna", "skip_reason": "Dependency not found on '
    'PyPI and could not be audited: idna (3.20)"}], "fixes": []}'
)
# pip-audit -s osv where api.osv.dev does not resolve (captured here; traceback shortened).
OSV_DNS_STDERR = """\
WARNING:pip_audit._cli:--no-deps is supported, but users are encouraged to fully hash their pinned dependencies
Traceback (most recent call last):
  File ".venv-tools/lib/python3.11/site-packages/pip_audit/_service/osv.py", line 70, in query
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded with url: /v1/query (Caused by NameResolutionError("HTTPSConnection(host='api.osv.dev', port=443): Failed to resolve 'api.osv.dev' ([Errno -2] Name or service not known)"))
"""
# pip-audit's own fatal message on requests.ConnectTimeout (_cli.py).
PYPI_CONNECT_TIMEOUT_STDERR = """\
ERROR:pip_audit._cli:Could not connect to PyPI's vulnerability feed
ERROR:pip_audit._cli:Tip: your network may be blocking this service. Try another service with `-s SERVICE`
"""
REQUESTS_VULN = {
    "id": "PYSEC-2018-28",
    "fix_versions": ["2.20.0"],
    "aliases": ["GHSA-x84v-xcm2-53pg", "CVE-2018-18074"],
    "description": "Requests before 2.20.0 sends an HTTP Authorization header to an http URI",
}


def report(deps: list[dict], vulns: dict[str, list[dict]] | None = None) -> str:
    """pip-audit JSON for the given packages: {"name", "version"} or {"name", "skip_reason"}."""
    vulns = vulns or {}
    out = []
    for d in deps:
        if "skip_reason" in d:
            out.append(d)
        else:
            out.append({"name": d["name"], "version": d["version"], "vulns": vulns.get(d["name"], [])})
    return json.dumps({"dependencies": out, "fixes": []})


CLEAN = [{"name": f"pkg{i}", "version": "1.0"} for i in range(20)]
VULNERABLE = [*CLEAN, {"name": "requests", "version": "2.19.0"}]


def attempt(stdout: str, *, service: str = "pypi", rc: int = 0, stderr: str = ""):
    return audit.attempt_from_output(service, rc, stdout, stderr, 1.0)


def decide(attempts, allowlist: str = "", *, required: bool = False, total: int = 21):
    allow = audit.parse_allowlist(allowlist, TODAY, ALLOW)
    return audit.decide(attempts, allow, required=required, total_packages=total, allowlist_path=ALLOW)


def test_clean_passes():
    result = decide([attempt(report(CLEAN))])
    assert (result.exit_code, result.verdict) == (0, "passed")
    assert result.summary["looked_up"] == 20 and result.summary["skipped"] == 0
    assert result.lines[-1].startswith("AUDIT PASSED: 20 of 20 packages looked up (pypi service)")


def test_vulnerable_package_fails_with_a_table():
    # pip-audit exits 1 when it finds vulnerabilities; its JSON is still the result.
    result = decide([attempt(report(VULNERABLE, {"requests": [REQUESTS_VULN]}), rc=1)])
    assert (result.exit_code, result.verdict) == (1, "failed")
    text = "\n".join(result.lines)
    assert "AUDIT FAILED: 1 known vulnerability not in scripts/audit-allowlist.txt" in text
    header = next(line for line in result.lines if "advisory" in line and "fix versions" in line)
    row = next(line for line in result.lines if "PYSEC-2018-28" in line)
    assert header.split()[:3] == ["package", "version", "advisory"]
    assert row.split()[:4] == ["requests", "2.19.0", "PYSEC-2018-28", "2.20.0"]
    assert result.summary["advisories"][0]["allow_listed"] is None


@pytest.mark.parametrize("listed_id", ["PYSEC-2018-28", "GHSA-x84v-xcm2-53pg", "cve-2018-18074"])
def test_allow_listed_advisory_passes_by_id_or_alias(listed_id):
    allowlist = f"{listed_id}  # only affects redirects to http, we call https only; review by 2026-06-30\n"
    result = decide([attempt(report(VULNERABLE, {"requests": [REQUESTS_VULN]}), rc=1)], allowlist)
    assert (result.exit_code, result.verdict) == (0, "passed")
    assert result.summary["allow_listed"] == [listed_id.upper()]
    assert "1 allow-listed advisories" in result.lines[-1]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("PYSEC-2018-28\n", "has no reason"),
        ("PYSEC-2018-28  # review by 2026-06-30\n", "has no reason"),
        ("PYSEC-2018-28  # we never follow redirects\n", "has no review date"),
        ("PYSEC-2018-28  # we never follow redirects; review by 2025-12-31\n", "review date 2025-12-31 has passed"),
        ("PYSEC-2018-28  # we never follow redirects; review by soon\n", "is not YYYY-MM-DD"),
    ],
)
def test_allowlist_entry_without_reason_or_expired_fails(line, message):
    result = decide([attempt(report(VULNERABLE, {"requests": [REQUESTS_VULN]}), rc=1)], line)
    assert (result.exit_code, result.verdict) == (1, "failed")
    problem = next(p for p in result.summary["problems"] if message in p)
    assert problem.startswith(f"{ALLOW}:1: PYSEC-2018-28")
    assert "Fix:" in problem


def test_allowlist_problem_fails_even_when_the_database_is_unreachable():
    result = decide([attempt(PYPI_ALL_404), attempt("", service="osv", rc=1, stderr=OSV_DNS_STDERR)],
                    "PYSEC-2018-28  # no date\n", total=2)
    assert result.exit_code == 1
    assert any(line.startswith("AUDIT NOT COMPLETED") for line in result.lines)


def test_allow_listed_advisory_no_longer_reported_only_warns():
    allowlist = "GHSA-aaaa-bbbb-cccc  # old problem in a package we dropped; review by 2026-06-30\n"
    result = decide([attempt(report(CLEAN))], allowlist)
    assert (result.exit_code, result.verdict) == (0, "passed")
    assert result.summary["warnings"] == [
        f"{ALLOW}:1: GHSA-AAAA-BBBB-CCCC is no longer reported for any package; remove the line."
    ]
    assert any(line.startswith("WARNING:") for line in result.lines)


def test_unreachable_database_is_not_completed_exit_0():
    pypi = attempt(PYPI_ALL_404)
    osv = attempt("", service="osv", rc=1, stderr=OSV_DNS_STDERR)
    assert (pypi.outcome, osv.outcome) == ("unreachable", "unreachable")
    assert osv.detail == "could not resolve api.osv.dev (DNS)"
    result = decide([pypi, osv], total=2)
    assert (result.exit_code, result.verdict) == (0, "not_completed")
    assert "AUDIT NOT COMPLETED: the advisory database could not be reached (2 of 2 packages not looked up)" in result.lines
    assert result.summary["looked_up"] == 0 and result.summary["skipped"] == 2


def test_unreachable_database_with_audit_required_exits_2():
    result = decide([attempt(PYPI_ALL_404), attempt("", service="osv", rc=1, stderr=OSV_DNS_STDERR)],
                    required=True, total=2)
    assert (result.exit_code, result.verdict) == (2, "not_completed")
    assert any("AUDIT_REQUIRED=1 is set" in line for line in result.lines)


def test_connection_failure_without_json_counts_packages_from_the_lock_file():
    pypi = attempt("", rc=1, stderr=PYPI_CONNECT_TIMEOUT_STDERR)
    assert (pypi.outcome, pypi.detail) == ("unreachable", "Could not connect to PyPI's vulnerability feed")
    result = decide([pypi, attempt("", service="osv", rc=1, stderr=OSV_DNS_STDERR)], total=209)
    assert "AUDIT NOT COMPLETED: the advisory database could not be reached (209 of 209 packages not looked up)" in result.lines
    assert result.exit_code == 0


def test_nearly_all_skipped_counts_as_unreachable_and_osv_is_used():
    skipped = [{"name": f"pkg{i}", "skip_reason": f"Dependency not found on PyPI and could not be audited: pkg{i} (1.0)"}
               for i in range(19)]
    pypi = attempt(report([*skipped, {"name": "idna", "version": "3.20"}]))
    assert pypi.outcome == "unreachable"
    osv = attempt(report(CLEAN), service="osv")
    result = decide([pypi, osv], total=20)
    assert (result.exit_code, result.verdict) == (0, "passed")
    assert result.summary["service"] == "osv"


def test_vulnerability_in_a_partial_run_still_fails():
    skipped = [{"name": f"pkg{i}", "skip_reason": "Dependency not found on PyPI and could not be audited"}
               for i in range(19)]
    pypi = attempt(report([*skipped, {"name": "requests", "version": "2.19.0"}], {"requests": [REQUESTS_VULN]}), rc=1)
    result = decide([pypi, attempt("", service="osv", rc=1, stderr=OSV_DNS_STDERR)], total=20)
    assert (result.exit_code, result.verdict) == (1, "failed")
    assert any("PYSEC-2018-28" in line for line in result.lines)


LOCAL = {"name": "nl-core-news-sm", "skip_reason": "URL requirements cannot be pinned to a specific package version"}


def test_unknown_local_package_not_allow_listed_fails():
    result = decide([attempt(report([*CLEAN, LOCAL]))])
    assert (result.exit_code, result.verdict) == (1, "failed")
    line = next(line for line in result.lines if line.startswith("AUDIT FAILED"))
    assert "nl-core-news-sm (URL requirements cannot be pinned" in line
    assert "[not on PyPI]" in line
    assert result.summary["skipped_packages"] == ["nl-core-news-sm"]


def test_local_package_listed_under_not_on_pypi_passes():
    allowlist = (
        "[not on PyPI]\n"
        "nl_core_news_sm  # spaCy model wheel from explosion/spacy-models, data only; review by 2026-06-30\n"
    )
    result = decide([attempt(report([*CLEAN, LOCAL]))], allowlist)
    assert (result.exit_code, result.verdict) == (0, "passed")
    assert any("not on PyPI (accepted" in line and "nl-core-news-sm" in line for line in result.lines)


def test_local_package_entry_needs_a_reason():
    result = decide([attempt(report([*CLEAN, LOCAL]))], "[not on PyPI]\nnl-core-news-sm\n")
    assert result.exit_code == 1
    assert any("nl-core-news-sm has no reason" in p for p in result.summary["problems"])


def test_unexpected_pip_audit_error_fails():
    bad = attempt("", rc=1, stderr="ERROR:pip_audit._cli:invalid requirements input: requirements.lock\n")
    assert bad.outcome == "error"
    result = decide([bad, attempt("", service="osv", rc=1, stderr="ERROR:pip_audit._cli:invalid requirements input\n")])
    assert (result.exit_code, result.verdict) == (1, "failed")
    assert any(line.startswith("AUDIT FAILED: pip-audit did not run properly") for line in result.lines)


def test_setup_problem_is_not_completed():
    allow = audit.parse_allowlist("", TODAY, ALLOW)
    result = audit.decide([], allow, required=False, total_packages=209, allowlist_path=ALLOW,
                          setup_problem="pip-audit 2.10.1 could not be installed into .venv-tools")
    assert (result.exit_code, result.verdict) == (0, "not_completed")
    assert "AUDIT NOT COMPLETED: pip-audit 2.10.1 could not be installed into .venv-tools" in result.lines


def test_run_tries_osv_only_when_pypi_is_unreachable_and_writes_the_summary(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("requests==2.19.0\nidna==3.20\n")
    allowlist = tmp_path / "audit-allowlist.txt"
    allowlist.write_text("# nothing accepted\n")
    summary = tmp_path / "results" / "audit.json"
    calls = []

    def run_service(pip_audit, service, lock_path, wall, verbose):
        calls.append((service, wall))
        if service == "pypi":
            return attempt(PYPI_ALL_404)
        return attempt("", service="osv", rc=1, stderr=OSV_DNS_STDERR)

    output: list[str] = []
    code = audit.run(lock=lock, allowlist_path=allowlist, summary_path=summary, required=False,
                     budget=100, today=TODAY, ensure=lambda deadline, log: Path("pip-audit"),
                     run_service=run_service, out=output.append)
    assert code == 0
    assert [c[0] for c in calls] == ["pypi", "osv"]
    assert calls[0][1] <= 100 - audit.RESERVE_SECONDS + 1  # the pypi attempt leaves time for osv
    data = json.loads(summary.read_text())
    assert {k: data[k] for k in ("verdict", "packages", "looked_up", "skipped", "advisories", "allow_listed")} == {
        "verdict": "not_completed", "packages": 2, "looked_up": 0, "skipped": 2, "advisories": [], "allow_listed": []
    }
    assert [a["service"] for a in data["attempts"]] == ["pypi", "osv"]

    calls.clear()
    code = audit.run(lock=lock, allowlist_path=allowlist, summary_path=summary, today=TODAY,
                     ensure=lambda deadline, log: Path("pip-audit"),
                     run_service=lambda *a: calls.append(a[1]) or attempt(report(CLEAN)), out=output.append)
    assert code == 0 and calls == ["pypi"]
    assert json.loads(summary.read_text())["verdict"] == "passed"


def test_a_hanging_pip_audit_is_cut_off(tmp_path):
    fake = tmp_path / "pip-audit"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    result = audit.run_pip_audit(fake, "pypi", tmp_path / "requirements.lock", wall_seconds=1)
    assert result.outcome == "unreachable"
    assert result.detail == "no answer within 1 s"
    assert result.seconds < 10
