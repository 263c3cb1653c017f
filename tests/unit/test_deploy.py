"""The production files (docker-compose.yml, Dockerfile, deploy/): secrets stay out of git and the image, the app
runs with least privilege. Docker itself is not available here, so the compose file is checked as YAML and the
two scripts it mounts run against the real PostgreSQL test server and a real redis-server."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.config import ROOT
from bot.storage.db import get_engine, upgrade
from tests.conftest import POSTGRES_ADMIN_URL
from tests.e2e.conftest import free_port

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, service in SERVICES.items() if service.get("image") == "stadsvraag:latest"]


def test_secrets_and_local_state_stay_out_of_git_and_the_image() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", "*.env", "var/", ".git", ".venv", "models/", ".pytest_cache", ".ruff_cache"} <= ignored
    for path in [".env", "postgres.env", ".env.production", "secrets/db"]:  # git's own matcher decides
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, path
    assert "COPY . ." in (ROOT / "Dockerfile").read_text()  # the context is the root: .dockerignore must hold


def test_compose_runs_the_app_without_the_database_superuser_or_its_password() -> None:
    assert {"migrate", "actions", "rasa", "web", "dispatcher", "retention"} <= set(APP_SERVICES)
    postgres = SERVICES["postgres"]
    assert postgres.get("environment", {}).get("POSTGRES_USER", "postgres") == "postgres"
    assert postgres["env_file"] == "postgres.env"  # the superuser's password: for this service only
    assert "./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/10-stadsvraag.sh:ro" in postgres["volumes"]
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert service["env_file"] == ".env", name
        url = make_url(service["environment"]["DATABASE_URL"].replace("${STADSVRAAG_DB_PASSWORD:?set "
                                                                      "STADSVRAAG_DB_PASSWORD}", "x"))
        assert url.username == "stadsvraag" and url.database == "stadsvraag", name
        assert "POSTGRES_PASSWORD" not in str(service), name
        if "REDIS_URL" in service["environment"]:
            assert service["environment"]["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?"), name


def test_compose_redis_requires_a_password_and_every_server_logs_through_the_scrub_filter() -> None:
    assert SERVICES["redis"]["command"] == ["sh", "/usr/local/bin/redis-start.sh"]
    assert "--logging-config_file" in SERVICES["actions"]["command"]  # rasa_sdk's spelling
    assert "--logging-config-file bot/runtime/rasa_logging.yml" in " ".join(SERVICES["rasa"]["command"])
    assert "--log-config" in SERVICES["web"]["command"]
    assert "deploy/endpoints.compose.yml" in " ".join(SERVICES["rasa"]["command"])
    assert SERVICES["retention"]["command"] == ["stadsvraag", "purge", "--daily"]


def test_the_compose_endpoints_differ_from_production_only_by_the_redis_password() -> None:
    prod = yaml.safe_load((ROOT / "endpoints.prod.yml").read_text())
    compose = yaml.safe_load((ROOT / "deploy" / "endpoints.compose.yml").read_text())
    assert compose["lock_store"].pop("password") == "${REDIS_PASSWORD}"
    assert compose == prod


@pytest.fixture
def cluster_names() -> Iterator[tuple[str, str, str]]:
    """A role, its database and a stand-in for the superuser's database, all removed afterwards."""
    suffix = uuid.uuid4().hex[:8]
    role, db, maintenance = f"app_{suffix}", f"app_{suffix}", f"maint_{suffix}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{maintenance}"'))
    try:
        yield role, db, maintenance
    finally:
        get_engine.cache_clear()
        with admin.connect() as conn:
            for name in (db, maintenance):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_the_postgres_init_script_creates_a_role_that_owns_only_its_database(cluster_names) -> None:  # type: ignore[no-untyped-def]
    role, db, maintenance = cluster_names
    env = {**os.environ, "PSQL": f"psql {POSTGRES_ADMIN_URL} -q", "STADSVRAAG_DB_PASSWORD": "it's a \"secret\"",
           "STADSVRAAG_DB_USER": role, "STADSVRAAG_DB_NAME": db, "STADSVRAAG_MAINTENANCE_DB": maintenance}
    subprocess.run(["sh", str(ROOT / "deploy" / "postgres-init.sh")], env=env, check=True, capture_output=True)
    base = make_url(POSTGRES_ADMIN_URL)
    app_url = base.set(username=role, password="x", database=db).render_as_string(hide_password=False)
    upgrade(app_url)  # the owner of the database can migrate it
    engine = get_engine(app_url)
    with engine.connect() as conn:
        attributes = conn.execute(text("SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
                                       "FROM pg_roles WHERE rolname = current_user")).one()
        assert not any(attributes)
        assert conn.execute(text("SELECT count(*) FROM intakes")).scalar() == 0
    with pytest.raises(OperationalError, match="permission denied"):
        create_engine(base.set(username=role, database=maintenance)).connect()


@pytest.fixture
def protected_redis(tmp_path: Path) -> Iterator[tuple[int, str]]:
    port, password = free_port(), uuid.uuid4().hex
    process = subprocess.Popen(["sh", str(ROOT / "deploy" / "redis-start.sh"), "--port", str(port), "--bind",
                                "127.0.0.1", "--dir", str(tmp_path)],
                               env={**os.environ, "REDIS_PASSWORD": password, "TMPDIR": str(tmp_path)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, password=password)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield port, password
    finally:
        process.terminate()
        process.wait(10)


def test_the_redis_start_script_requires_the_password_and_refuses_dangerous_commands(protected_redis) -> None:  # type: ignore[no-untyped-def]
    from rasa.core.lock_store import RedisLockStore

    from bot.web.ratelimit import ChatLimits

    port, password = protected_redis
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port).set("x", 1)
    client = redis.Redis(port=port, password=password)
    for command in (["FLUSHALL"], ["CONFIG", "GET", "requirepass"], ["KEYS", "*"], ["DEBUG", "SLEEP", "0"]):
        with pytest.raises(redis.ResponseError, match="permission|not allowed"):
            client.execute_command(*command)
    # what the application does with it: rate limits (REDIS_URL with the password) and Rasa's lock store
    limits = ChatLimits(f"redis://:{password}@127.0.0.1:{port}/0")
    assert [limits.check_session("192.0.2.1") for _ in range(20)] == [0] * 20 and limits.check_session("192.0.2.1")
    store = RedisLockStore(host="127.0.0.1", port=port, db=0, password=password, key_prefix="stadsvraag")
    lock = store.create_lock("conversation")
    store.save_lock(lock)
    assert store.get_lock("conversation") is not None
    store.delete_lock("conversation")
