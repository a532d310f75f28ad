"""Regenerate docs/*.png: what a worker sees on a phone, and the printed page (`make screenshots`).

Serves the site from this checkout's database (`make run` sets it up) on a spare local port, then
drives Debian's chromium as the browser tests do.
"""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pypdfium2
from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
BASE = DOCS.parent
RESULT = "/?held=low-voltage-electrician&held=fusion-welding-cutting&held=special-equipment-welder&region=44"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("Debian's chromium is needed: apt-get install chromium fonts-noto-cjk")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=BASE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        site = f"http://127.0.0.1:{port}"
        wait_for(site + "/healthz")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 360, "height": 780}, device_scale_factor=1.5, locale="zh-CN")
            page.goto(site + RESULT)
            page.screenshot(path=DOCS / "phone-result.png")
            page.locator("#results .card-more").first.locator(":scope > summary").click()
            page.locator("#results .card").first.screenshot(path=DOCS / "phone-card-open.png")
            pdf = pypdfium2.PdfDocument(io.BytesIO(page.pdf(format="A4", print_background=True)))
            pdf[0].render(scale=96 / 72).to_pil().save(DOCS / "printed-result.png", optimize=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    for name in ["phone-result.png", "phone-card-open.png", "printed-result.png"]:
        print(DOCS / name)


if __name__ == "__main__":
    main()
