"""gunicorn settings for production; `make serve` and `make bench` use them too.

gunicorn reads this file from the working directory. Every value can be
overridden from the environment (see docs/deploy.md) or on the command line.
"""

import gc
import os


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (containers, taskset)
    except AttributeError:
        return os.cpu_count() or 1


wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# The site is CPU-bound Python with one short query a request: one process per
# core, plus one to cover a worker waiting on the database.
workers = int(os.environ.get("WEB_CONCURRENCY") or cores() + 1)
# Slow clients must not stall the site, whether or not a buffering proxy is in
# front (`make serve` has none). Synchronous workers read each request in the
# worker: three slow clients stopped the site. gunicorn's gthread worker still
# reads a request's head in a thread without a time limit once its first byte
# is in. So: gthread's threads, with the head (and a small body) read in the
# event loop, GUNICORN_HEAD_TIMEOUT seconds (10) at most, as a buffering proxy
# would (config/buffered_worker.py). Threads then only ever run requests that
# have arrived whole. Two per worker: one can wait on the database (or read a
# staff upload) while the other computes; more only share the one core's GIL
# (make bench, the mix at 32 connections: 5,101 req/s and p99 18 ms with two,
# 4,455 and 26 ms with four). Each thread may hold a database connection: size
# PostgreSQL for workers x threads per server.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "config.buffered_worker.BufferedThreadWorker")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Idle and slow connections each worker holds in its event loop (gunicorn's default).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
# The answers are sent from memory by the event loop; sendfile() would write a static file past them.
sendfile = False

# A worker whose event loop stops answering the master for this long is killed and replaced (with threads, a
# long request does not stop the loop: an import bounds itself, IMPORT_TIME_LIMIT). Graceful restarts give
# running requests the same time to finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak cannot grow without bound. Rarely:
# a new worker renders again every answer its predecessor kept (a few ms each,
# bounded by PUBLIC_PAGE_CACHE_MB), which every 10,000 requests took four fifths
# of the throughput on the real mix (make bench).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000000"))
max_requests_jitter = max_requests // 10

# Load the application before forking: a broken configuration (no
# DJANGO_SECRET_KEY, say) stops the server at once with its one-line message.
preload_app = True

# Logs go to standard output and error, for the service manager to collect.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The last field: X-Forwarded-For, the client's address as a balancer (deploy/nginx.conf) set it; "-" without one.
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" %({x-forwarded-for}i)s'

# Trust X-Forwarded-* only from the load balancer's addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Headers with an underscore that those addresses may set in the WSGI environment. gunicorn's default,
# SCRIPT_NAME and PATH_INFO, let anything on this machine (`make serve`), or a balancer that passes
# underscores (HAProxy and many cloud balancers do), move the site under another prefix: a `SCRIPT_NAME:
# /notices/rstf-2026-1` header made `/notices/rstf-2026-1/` answer with the home page. The site is served at
# the root and reads no REMOTE_USER: none. Every other header with an underscore is dropped (header_map).
forwarder_headers = os.environ.get("GUNICORN_FORWARDER_HEADERS", "")
header_map = "drop"

# Nothing on local disk: the workers' heartbeat files in memory, and no
# control socket (gunicorn 25+ creates one in $HOME by default; two servers on
# one machine would fight over it).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True


def compile_templates(root) -> None:
    """Every template, each by its own engine: the public pages under jinja2/ by Jinja2 (which the Django
    engine cannot parse: trying made the whole warm-up stop at the first of them), the rest by Django's."""
    from django.template import engines

    jinja_root = root / "jinja2"
    for path in sorted(jinja_root.rglob("*.html")):
        engines["jinja2"].get_template(str(path.relative_to(jinja_root)))
    for path in sorted(root.rglob("*.html")):
        if jinja_root not in path.parents:
            engines["django"].get_template(str(path.relative_to(root)))


def when_ready(server) -> None:
    """Warm the master before it forks: every worker, and each one started later
    (max_requests), begins with the rules read, the URLs resolved and the
    templates compiled, so its first answer is not ten times slower than the rest."""
    from django.apps import apps

    if not preload_app or not apps.ready or not apps.is_installed("recognition"):
        return  # the benchmark's baseline (bench/baseline.py) has nothing to warm
    from pathlib import Path

    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.db import connections
    from django.urls import get_resolver

    from recognition.http.conditional import release_id
    from recognition.rules.snapshot import current_rules

    try:
        release_id()
        current_rules()
        get_resolver().resolve("/")
        compile_templates(Path(settings.BASE_DIR) / "templates")
        staticfiles_storage.url("vendor/htmx.min.js")
    except Exception as error:  # the database may be down: /healthz says so, the workers retry
        server.log.warning("Warm-up skipped: %s", error)
    finally:
        # Connections must not be shared with the forked workers.
        connections.close_all()
        # What the warm-up built lives as long as the process: keep it out of
        # the collector's full passes, which otherwise stall a worker for
        # ~35 ms now and then (measured in-process: 29-39 ms, 2-9 ms frozen).
        gc.collect()
        gc.freeze()
