#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL server (issue 14): a new cluster in a temporary
# directory (initdb + pg_ctl as the `postgres` user when run as root, as CI is), listening on
# 127.0.0.1 and a free port only, with VPP_TEST_POSTGRES_URL exported for the command. The
# server is stopped and its directory removed afterwards, also when the command fails; the
# command's exit status is kept and its output stays last.
#
#   scripts/with-postgres.sh swift test --skip-build
#
# When no PostgreSQL server binaries can be found the command runs without the variable and
# the conformance suite skips its PostgreSQL cases with a message.
set -uo pipefail

find_bin() {
  local name=$1 d
  if command -v "$name" >/dev/null 2>&1 && "$name" --version >/dev/null 2>&1; then command -v "$name"; return 0; fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
  done
  return 1
}

INITDB=$(find_bin initdb) || INITDB=""
PG_CTL=$(find_bin pg_ctl) || PG_CTL=""
if [ -z "$INITDB" ] || [ -z "$PG_CTL" ]; then
  echo "with-postgres: no PostgreSQL server binaries (initdb, pg_ctl) found: running without VPP_TEST_POSTGRES_URL" >&2
  exec "$@"
fi

# A free TCP port on loopback (the kernel picks one; the tiny race with another process is accepted).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
DIR=$(mktemp -d /tmp/vpp-pg.XXXXXX)
chmod 755 "$DIR"
DATA="$DIR/data"
LOG="$DIR/server.log"

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$DIR"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
USER_NAME=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )

cleanup() {
  as_pg "$PG_CTL" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! as_pg "$INITDB" -D "$DATA" -U "$USER_NAME" -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1; then
  echo "with-postgres: initdb failed:" >&2; cat "$DIR/initdb.log" >&2
  exit 1
fi
# Every role is trusted except one, which must give its password (scram-sha-256): the fault
# tests create it and check that a wrong password is refused with exit 69 (pg_hba: first match).
PW_ROLE=vpp_pwcheck
if ! { { echo "host all $PW_ROLE 127.0.0.1/32 scram-sha-256"; cat "$DATA/pg_hba.conf"; } > "$DIR/pg_hba.conf" \
       && cat "$DIR/pg_hba.conf" > "$DATA/pg_hba.conf"; }; then
  echo "with-postgres: cannot add the password role's line to $DATA/pg_hba.conf" >&2
  exit 1
fi
# Loopback only, the socket in the temporary directory, fsync off (throw-away data).
if ! as_pg "$PG_CTL" -D "$DATA" -l "$LOG" -w -t 60 \
     -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null; then
  echo "with-postgres: the server did not start:" >&2; cat "$LOG" >&2
  exit 1
fi
export VPP_TEST_POSTGRES_URL="postgresql://$USER_NAME@127.0.0.1:$PORT/postgres"
export VPP_TEST_POSTGRES_PASSWORD_ROLE="$PW_ROLE"
echo "with-postgres: throw-away PostgreSQL at $VPP_TEST_POSTGRES_URL (data in $DATA)" >&2
"$@"
status=$?
cleanup
trap - EXIT
exit $status
