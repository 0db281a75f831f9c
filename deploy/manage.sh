#!/usr/bin/env bash
# Run manage.py as koki's services run it: as the user koki, with /etc/koki/koki.env read the
# way systemd reads it, from the source folder (docs/deploy.md). Needs root.
#
#   /srv/koki/src/deploy/manage.sh migrate
#   /srv/koki/src/deploy/manage.sh createsuperuser
set -euo pipefail

# A terminal for interactive commands (createsuperuser), plain pipes in scripts.
io=(--pipe)
if [[ -t 0 && -t 1 ]]; then
  io=(--pty)
fi
exec systemd-run --quiet --wait --collect "${io[@]}" \
  --uid=koki --gid=koki \
  --property=EnvironmentFile=/etc/koki/koki.env \
  --property=WorkingDirectory=/srv/koki/src \
  /srv/koki/venv/bin/python manage.py "$@"
