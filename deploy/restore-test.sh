#!/usr/bin/env bash
# Restore a dump of koki's database into a scratch database and check it row by row.
#
#   restore-test.sh DUMP [LIVE_DB]        DUMP: a file from backup.sh, or - for standard input
#
# Restores DUMP into "<LIVE_DB>_restore_test" (LIVE_DB defaults to koki), then counts the rows
# of every table there and compares them with the rows the dump itself holds; with a live
# database, its counts are shown beside them (they differ by what changed since the dump).
# Fails when the restore fails, a table's count differs or the dump holds no migrations.
# The scratch database is dropped at the end. It connects with libpq's defaults and PG…
# variables as a role that may create databases, e.g. as postgres on the database server:
#
#   runuser -u postgres -- bash /srv/koki/src/deploy/restore-test.sh - koki \
#     < /var/backups/koki/koki-YYYYmmdd-HHMMSS.dump
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: restore-test.sh DUMP [LIVE_DB]" >&2
  exit 2
fi
dump=$1
live=${2:-koki}
scratch="${live}_restore_test"
# Only warnings and errors from the server (no "does not exist, skipping" notices).
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql=(psql --no-psqlrc --no-align --tuples-only --quiet --set=ON_ERROR_STOP=1)

work=$(mktemp -d)
cleanup() {
  dropdb --if-exists "$scratch" 2>/dev/null || true
  rm -rf -- "$work"
}
trap cleanup EXIT
if [[ $dump == - ]]; then
  # pg_restore needs a file it can seek in.
  cat >"$work/dump"
  dump="$work/dump"
fi

# A file pg_restore cannot read fails here, before any database is created.
pg_restore --list "$dump" >/dev/null

dropdb --if-exists "$scratch"
createdb "$scratch"
pg_restore --no-owner --no-acl --exit-on-error --dbname="$scratch" "$dump"

# The dump's own rows: every line of a COPY block is one row (COPY escapes newlines).
pg_restore --data-only --file=- "$dump" | awk '
  /^COPY / && / FROM stdin;$/ { table = $2; rows = 0; inside = 1; next }
  inside && $0 == "\\." { print table, rows; inside = 0; next }
  inside { rows++ }
' >"$work/expected"

live_exists=$("${psql[@]}" --dbname=postgres \
  --command="SELECT count(*) FROM pg_database WHERE datname = '${live//\'/\'\'}'")

failed=0
printf '%-45s %10s %10s %10s\n' table dump restored live
while read -r table expected; do
  restored=$("${psql[@]}" --dbname="$scratch" --command="SELECT count(*) FROM $table")
  current=-
  if [[ $live_exists == 1 ]]; then
    current=$("${psql[@]}" --dbname="$live" --command="SELECT count(*) FROM $table" \
      2>/dev/null || echo missing)
  fi
  mark=""
  if [[ $restored != "$expected" ]]; then
    mark="  <- differs"
    failed=1
  fi
  printf '%-45s %10s %10s %10s%s\n' "$table" "$expected" "$restored" "$current" "$mark"
done <"$work/expected"

migrations=$(awk '$1 == "public.django_migrations" { print $2 }' "$work/expected")
if [[ ${migrations:-0} -eq 0 ]]; then
  echo "restore-test.sh: the dump holds no migrations: not a dump of koki's database." >&2
  failed=1
fi
if [[ $failed -ne 0 ]]; then
  echo "restore-test.sh: FAILED" >&2
  exit 1
fi
echo "restore-test.sh: OK, $(wc -l <"$work/expected") tables restored with every row"
