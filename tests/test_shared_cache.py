"""The answers kept in a real Redis (CACHE_URL, PUBLIC_ANSWERS_SHARED): shared by every worker, never stale.

Starts Debian's redis-server on a free port with its own temporary directory and no persistence; each test
points the site's cache at it, as CACHE_URL does. "Another worker" is this process with its own kept answers
forgotten and a new connection to Redis.
"""

from __future__ import annotations

import datetime
import gzip
import pickle
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings as site_settings
from django.core.cache import caches

from recognition.http import answer_store
from tests.programs import program
from tests.test_production import change_a_rule
from tests.test_slow_clients import HOST, free_port

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

NOTICE = "/notices/rstf-2026-1/"
KEYS = ":1:" + answer_store.SHARED_PREFIX + "*"  # as Django's RedisCache names them (KEY_PREFIX, VERSION)


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory) -> Iterator[int]:
    binary = program("redis-server", "redis-server")
    directory = tmp_path_factory.mktemp("redis")
    port = free_port()
    command = [binary, "--bind", HOST, "--port", str(port), "--dir", str(directory), "--save", "", "--appendonly"]
    command += ["no", "--daemonize", "no", "--logfile", str(directory / "redis.log")]
    process = subprocess.Popen(command)
    try:
        client = redis.Redis(host=HOST, port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, (directory / "redis.log").read_text()
                assert time.monotonic() < deadline, "redis-server did not answer"
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def site_cache(port: int) -> dict:
    """CACHES as config/settings.py makes it from CACHE_URL=redis://127.0.0.1:<port>/0."""
    location = f"redis://{HOST}:{port}/0"
    backend = "django.core.cache.backends.redis.RedisCache"
    return {"default": {"BACKEND": backend, "LOCATION": location, "OPTIONS": site_settings.REDIS_OPTIONS}}


@pytest.fixture
def redis_client(redis_port, settings) -> redis.Redis:
    """Redis, empty, and the site's cache in it, as with CACHE_URL=redis://…"""
    client = redis.Redis(host=HOST, port=redis_port)
    client.flushall()
    client.config_set("maxmemory", 0)
    settings.CACHES = site_cache(redis_port)
    settings.PUBLIC_ANSWERS_SHARED = True
    return client


def another_worker() -> None:
    """Forget what this process kept, and talk to Redis over a new connection."""
    answer_store.forget()
    del caches["default"]


def kept(client: redis.Redis) -> list[bytes]:
    return sorted(client.scan_iter(KEYS))


def test_an_answer_one_worker_kept_is_served_to_another_from_redis(client, redis_client):
    first = client.get(NOTICE)
    assert first.status_code == 200
    [key] = kept(redis_client)
    assert 23 * 3600 < redis_client.ttl(key) <= answer_store.SHARED_TIMEOUT  # never stale: only unused

    another_worker()
    again = client.get(NOTICE)
    assert not again.templates  # not rendered: read from Redis
    assert again.content == first.content and again["ETag"] == first["ETag"]

    # What Redis holds is what the other worker serves: change it there, and it is served changed.
    status, headers, gzipped = pickle.loads(redis_client.get(key))
    body = gzip.decompress(gzipped).replace(b"</title>", b" (from Redis)</title>")
    redis_client.set(key, pickle.dumps((status, headers, gzip.compress(body))))
    another_worker()
    assert b" (from Redis)</title>" in client.get(NOTICE).content


def test_a_data_version_change_is_never_answered_from_redis(client, redis_client):
    url = "/?held=fusion-welding-cutting"
    client.get(url)
    change_a_rule("改过的原文,在 Redis 之外")
    another_worker()
    response = client.get(url)
    assert "改过的原文,在 Redis 之外" in response.content.decode()
    assert len(kept(redis_client)) == 2  # the old version's answer stays, under its own version, unused


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/", {"SCRIPT_NAME": "/notices/rstf-2026-1"}, 200),  # answered, never kept (issue 17)
        (NOTICE, {"SCRIPT_NAME": "/zhengshu"}, 200),
        ("/?held=building-welder&from=singlemessage&isappinstalled=0", {}, 302),
        ("/?held=building-welder&x=" + "a" * 900, {}, 302),
        ("/api/v1/lookup?held=building-welder&from=singlemessage", {}, 400),
        ("/admin/login/", {}, 200),
        ("/healthz", {}, 200),
    ],
)
def test_what_the_site_does_not_keep_is_not_kept_in_redis(client, redis_client, path, headers, status):
    for _ in range(2):
        assert client.get(path, **headers).status_code == status
    assert kept(redis_client) == []
    client.get(NOTICE)
    assert len(kept(redis_client)) == 1  # the shared cache does keep answers meanwhile


def lookups(count: int) -> list[str]:
    """`count` distinct API answers, of about 12 KB each (1.5 KB gzipped): one question on as many days."""
    days = (datetime.date(2030, 1, 1) + datetime.timedelta(days=n) for n in range(count))
    return [f"/api/v1/lookup?held=fusion-welding-cutting&held=building-welder&region=11&on={day}" for day in days]


def test_a_worker_fed_from_redis_stays_within_its_byte_bound(client, redis_client, settings):
    addresses = lookups(40)
    for path in addresses:
        assert client.get(path).status_code == 200
    assert len(kept(redis_client)) == 40
    one = answer_store.store.size / len(answer_store.store)
    settings.PUBLIC_PAGE_CACHE_MB = 10.5 * one / 1024 / 1024
    another_worker()
    for path in addresses:
        assert client.get(path).status_code == 200
    assert len(answer_store.store) == 10
    assert answer_store.store.size <= answer_store.limit_bytes()


def test_redis_bounded_as_docs_deploy_says_evicts_and_the_site_answers(client, redis_client):
    """docs/deploy.md: maxmemory with allkeys-lru, so that a flood of distinct answers evicts old ones."""
    redis_client.config_set("maxmemory-policy", "allkeys-lru")
    redis_client.config_set("maxmemory", 256 * 1024 + redis_client.info("memory")["used_memory"])
    for path in lookups(400):  # about 600 KB of answers, as kept (gzipped)
        assert client.get(path).status_code == 200
    memory = redis_client.info("memory")
    assert memory["used_memory"] <= memory["maxmemory"] + 64 * 1024  # it evicts before each write
    assert redis_client.info("stats")["evicted_keys"] > 0


PAGES = [NOTICE, "/?held=building-welder", "/api/v1/lookup?held=building-welder"]


def test_public_pages_answer_when_redis_cannot_be_reached(client, redis_client, settings, caplog):
    """docs/deploy.md: losing the cache loses nothing but in-flight imports; the answers are rendered again."""
    settings.CACHES = site_cache(free_port())  # nothing listens there
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    assert "The shared cache failed" in caplog.text


def test_a_redis_that_does_not_answer_is_not_waited_for(client, redis_client, settings):
    """Connected, and then silence (a Redis stuck, or a network that drops packets): one request waits the
    socket timeout, one second, and the next ones answer at once, without the cache, for ten seconds."""
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen(8)  # the kernel completes the connection; nobody ever reads it
        settings.CACHES = site_cache(silent.getsockname()[1])
        started = time.monotonic()
        assert client.get(PAGES[0]).status_code == 200
        first = time.monotonic() - started
        for path in PAGES[1:]:
            assert client.get(path).status_code == 200, path
        rest = time.monotonic() - started - first
    assert 0.9 < first < 3, first
    assert rest < 0.9, rest


def test_public_pages_answer_when_redis_is_full_and_refuses_writes(client, redis_client):
    """A Redis with maxmemory and the default policy, noeviction, refuses writes once full."""
    redis_client.config_set("maxmemory-policy", "noeviction")
    redis_client.config_set("maxmemory", redis_client.info("memory")["used_memory"])
    for path in lookups(5):
        assert client.get(path).status_code == 200, path
