#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on localhost for the test suite;
# installs and starts them from Debian's packages where they are missing.
set -uo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=0
apt_install() {
    if [ $apt_updated -eq 0 ]; then $SUDO apt-get update -qq >/dev/null; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
    ver=$(ls /etc/postgresql 2>/dev/null | head -n1)
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    # trust auth for local test connections and a 'test' database
    if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
        hba=/etc/postgresql/$ver/main/pg_hba.conf
        $SUDO sed -i 's/^\(host.*127.0.0.1\/32\s*\)\S*$/\1trust/; s/^\(local\s*all\s*all\s*\)\S*$/\1trust/; s/^\(local\s*all\s*postgres\s*\)\S*$/\1trust/' "$hba"
        $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main reload 2>/dev/null || true
        sleep 1
        psql -h 127.0.0.1 -U postgres -c 'create database test' >/dev/null 2>&1 || true
    fi
fi
pg_isready -h 127.0.0.1 -p 5432 -q && echo "==> PostgreSQL ready" || echo "WARNING: PostgreSQL not available; PostgreSQL tests will fail" >&2

if ! (redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG); then
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /tmp --logfile /tmp/stadsvraag-redis.log >/dev/null
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && break; sleep 0.5; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && echo "==> Redis ready" || echo "WARNING: Redis not available" >&2
exit 0
