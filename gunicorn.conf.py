"""gunicorn settings for koki, read by gunicorn from the folder it starts in (docs/deploy.md).

The worker count stays on the command line (2 × cores + 1). Threaded workers rather than sync:
- keep-alive: sync workers close every connection after one response, so a browser (or the
  proxy) opens a new TCP connection per request;
- a registration waits on the room's row lock and on PostgreSQL and Redis round trips; a thread
  waiting there leaves its worker free to serve the next request, where a sync worker idles;
- on the 2-core bench machine gthread served the same hello-world view about twice as fast and
  the registration rush about 1.5 × as fast as sync (`make bench`, docs/performance.md).
The GIL lets one thread per process run Python at a time; five processes keep both cores busy.
Each thread keeps its own database connection (DJANGO_CONN_MAX_AGE): 5 × 4 = 20 connections.
"""

worker_class = "gthread"
threads = 4
