#!/bin/sh
# Starts Redis for docker-compose.yml with a password (REDIS_PASSWORD) and without the commands the
# application never uses and an intruder would want (FLUSHALL, CONFIG, DEBUG, KEYS, MONITOR, ...: Redis's
# @dangerous category). The password goes into a config file readable by Redis only, not onto the command
# line, where `ps` and `docker inspect` would show it. Nothing is persisted: the lock store, the rate limits
# and the Twilio de-duplication are all short-lived. Extra arguments go to redis-server
# (tests/unit/test_deploy.py starts it on a free port this way).
set -eu
: "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
conf="$(mktemp "${TMPDIR:-/tmp}/redis.XXXXXX")"
chmod 600 "$conf"
cat > "$conf" <<CONF
save ""
appendonly no
protected-mode yes
user default on >${REDIS_PASSWORD} ~* &* +@all -@dangerous +info +ping
CONF
exec redis-server "$conf" "$@"
