"""The address printed with a result and in its QR code (an image of its own, /qr.svg): SITE_URL, never a port
from the Host header."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from recognition.http import answer_store
from recognition.site import views
from tests.text import qr_image_address

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PAGE = "/?held=building-welder"


@pytest.fixture(autouse=True)
def nothing_rendered_before():
    """Each process keeps rendered pages (http.answer_store); these tests change settings between requests."""
    answer_store.forget()
    yield
    answer_store.forget()


def test_a_port_in_the_host_header_is_not_printed(client):
    response = client.get(PAGE, headers={"Host": "localhost:1337"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1337" not in html
    assert "http://localhost/?held=building-welder" in html


def test_the_servers_own_port_is_printed_in_local_use(client):
    response = client.get(PAGE, headers={"Host": "127.0.0.1:1337"}, SERVER_PORT="8000")
    html = response.content.decode()
    assert "http://127.0.0.1:8000/?held=building-welder" in html
    assert "1337" not in html


@override_settings(SITE_URL="https://hurenn.example.gov.cn")
def test_the_configured_site_url_is_printed_whatever_the_host(client):
    for host in ["localhost:1337", "127.0.0.1"]:
        html = client.get(PAGE, headers={"Host": host}).content.decode()
        assert "https://hurenn.example.gov.cn/?held=building-welder" in html
        assert "localhost" not in html and "127.0.0.1" not in html


def test_a_host_outside_allowed_hosts_is_refused(client):
    assert client.get(PAGE, headers={"Host": "evil.example:1337"}).status_code == 400


@pytest.mark.parametrize("value", ["hurenn.example.gov.cn", "https://hurenn.example.gov.cn/path", "ftp://x"])
def test_a_malformed_site_url_stops_the_server_with_a_message(value):
    env = {**os.environ, "SITE_URL": value, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SITE_URL" in result.stderr


def qr_code_of(client, response, **headers):
    """The QR code the page prints (the image its footer names), and the address it encodes."""
    views.qr_svg.cache_clear()
    image = client.get(qr_image_address(response.content.decode()), **headers)
    assert (image.status_code, image["Content-Type"]) == (200, "image/svg+xml")
    assert image.content.startswith(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox=')
    (encoded,) = views.qr_svg.kept_keys()
    assert views.qr_svg(encoded) == image.content
    return encoded


def test_the_qr_code_encodes_the_printed_address_never_the_host_headers_port(client):
    headers = {"headers": {"Host": "127.0.0.1:1337"}, "SERVER_PORT": "8000"}
    for page in [PAGE, "/routes/?target=building-welder", "/certificates/building-welder/"]:
        assert qr_code_of(client, client.get(page, **headers), **headers) == f"http://127.0.0.1:8000{page}"


@override_settings(SITE_URL="https://hurenn.example.gov.cn")
def test_the_qr_code_encodes_the_configured_site_url(client):
    response = client.get(PAGE, headers={"Host": "localhost:1337"})
    assert qr_code_of(client, response) == f"https://hurenn.example.gov.cn{PAGE}"


@pytest.mark.parametrize(
    "u,why",
    [
        (None, "以 / 开头"),
        ("https://evil.example/", "以 / 开头"),
        ("//evil.example/", "以 / 开头"),
        ("/no-such-page/", "本站没有这个页面"),
        ("/?held=" + "a" * 1300, "太长"),
    ],
)
def test_a_qr_code_is_made_only_for_this_sites_own_pages(client, u, why):
    response = client.get("/qr.svg", {"u": u} if u is not None else {})
    assert response.status_code == 400
    assert "二维码只为本站的页面生成" in response.content.decode() and why in response.content.decode()
