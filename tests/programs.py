"""The Debian programs some tests run (nginx, redis-server): found, or the test is skipped, and fails in CI."""

from __future__ import annotations

import os
import shutil

import pytest


def program(name: str, package: str) -> str:
    """The program's path. Missing: skip the test, saying how to install it; in CI (`CI` set), fail it."""
    found = shutil.which(name) or next(
        (path for path in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(path, os.X_OK)), None
    )
    if found:
        return found
    message = f"{name} is not installed: apt-get install {package} (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}")
    pytest.skip(message)
