#!/usr/bin/env bash
# Dump koki's database (DATABASE_URL) with pg_dump -Fc into DIR and keep the newest KEEP dumps.
#
#   backup.sh [DIR] [KEEP]        defaults: /var/backups/koki 14
#
# koki-backup.service runs it nightly as the user koki with /etc/koki/koki.env. A dump is
# written under a temporary name and renamed once complete, so DIR holds only whole dumps,
# named koki-YYYYmmdd-HHMMSS.dump (sorted by name = sorted by time). Check one with
# restore-test.sh (docs/deploy.md).
set -euo pipefail

dir=${1:-/var/backups/koki}
keep=${2:-14}
if ! [[ $keep =~ ^[1-9][0-9]*$ ]]; then
  echo "backup.sh: KEEP must be a positive number, not '$keep'." >&2
  exit 2
fi
if [[ -z ${DATABASE_URL:-} ]]; then
  echo "backup.sh: DATABASE_URL is not set (EnvironmentFile=/etc/koki/koki.env)." >&2
  exit 2
fi

# The connection goes to pg_dump through libpq's variables (PGHOST, PGPASSWORD, …), not its
# command line, which every local user can read.
connection=$(
  python3 - <<'PY'
import os
import sys
from urllib.parse import parse_qsl, unquote, urlsplit

url = urlsplit(os.environ["DATABASE_URL"])
if url.scheme not in {"postgres", "postgresql", "pgsql"}:
    sys.exit("backup.sh: DATABASE_URL is not a PostgreSQL URL.")
parts = {
    "PGHOST": unquote(url.hostname or ""),
    "PGPORT": str(url.port or ""),
    "PGUSER": unquote(url.username or ""),
    "PGPASSWORD": unquote(url.password or ""),
    "PGDATABASE": unquote(url.path.lstrip("/")),
}
libpq = {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"}
parts |= {f"PG{key.upper()}": value for key, value in parse_qsl(url.query) if key in libpq}
for name, value in parts.items():
    if value and "\n" not in value:
        print(f"{name}={value}")
PY
)
while IFS= read -r assignment; do
  if [[ -n $assignment ]]; then export "${assignment?}"; fi
done <<<"$connection"
if [[ -z ${PGDATABASE:-} ]]; then
  echo "backup.sh: DATABASE_URL names no database." >&2
  exit 2
fi

umask 077
mkdir -p -- "$dir"
target="$dir/koki-$(date +%Y%m%d-%H%M%S).dump"
partial="$dir/.partial-$$.dump"
trap 'rm -f -- "$partial"' EXIT
pg_dump --format=custom --no-password --file="$partial"
mv -- "$partial" "$target"
echo "backup.sh: wrote $target ($(stat -c %s "$target") bytes)"

# Rotation: the glob sorts by name, the oldest first.
shopt -s nullglob
dumps=("$dir"/koki-*.dump)
if ((${#dumps[@]} > keep)); then
  old=("${dumps[@]:0:${#dumps[@]}-keep}")
  rm -f -- "${old[@]}"
  echo "backup.sh: removed ${#old[@]} old dump(s), kept $keep"
fi
