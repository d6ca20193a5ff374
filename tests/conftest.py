"""Shared test helpers."""

import os
import shutil
import subprocess
import sys

import pytest


def require_tool(name: str) -> str:
    """Path of a command-line tool; a missing tool fails under CI (which installs it) and skips elsewhere."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed, but CI must install it")
        pytest.skip(f"{name} is not installed")
    return path


def run_cli(*args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m streamfreq ARGS`` in a subprocess, capturing text output."""
    return subprocess.run(
        [sys.executable, "-m", "streamfreq", *args], input=input, capture_output=True, timeout=timeout
    )
