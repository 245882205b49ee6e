"""Settings: production-style environment passes `check --deploy`; no key, no start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The test run's own settings (pytest-env, the Makefile) must not leak into these.
    own = {
        "DEBUG",
        "SECRET_KEY",
        "SECURE_SSL_REDIRECT",
        "STATIC_MANIFEST",
        "FIELD_ENCRYPTION_KEY",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests for live_server
    }
    clean = {k: v for k, v in os.environ.items() if k not in own}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "0",
            "SECRET_KEY": "k" * 20 + "production-style-secret-key-with-enough-entropy-!@#$%^",
            "ALLOWED_HOSTS": "cataligent.example.com",
            "SECURE_HSTS_PRELOAD": "1",
            "FIELD_ENCRYPTION_KEY": "r2XVg7pe6rRGh0NQUJJl8iUfh3Y4ZYaw4L0OiZKqnTI=",
            "SITE_URL": "https://cataligent.example.com",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_wants_a_real_site_url() -> None:
    """E-mail links are built from SITE_URL; the default sends people to localhost."""
    result = _manage(
        "check",
        "--deploy",
        env={
            "DEBUG": "0",
            "SECRET_KEY": "s" * 60,
            "ALLOWED_HOSTS": "x.example.com",
            "FIELD_ENCRYPTION_KEY": "r2XVg7pe6rRGh0NQUJJl8iUfh3Y4ZYaw4L0OiZKqnTI=",
        },
    )
    assert "cataligent.W003" in result.stderr + result.stdout


def test_refuses_to_start_without_secret_key_in_production() -> None:
    result = _manage("check", env={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_bad_boolean_is_refused() -> None:
    result = _manage("check", env={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_deploy_check_wants_an_encryption_key() -> None:
    result = _manage(
        "check",
        "--deploy",
        env={"DEBUG": "0", "SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "x.example.com"},
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is not set" in result.stderr


def test_log_format_json_writes_one_object_a_line() -> None:
    result = _manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('cataligent.probe').warning('two\\nlines')",
        env={"DEBUG": "1", "LOG_FORMAT": "json"},
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["logger"] == "cataligent.probe"
    assert line["message"] == "two\nlines"
    assert line["level"] == "WARNING"


def test_bad_log_format_is_refused() -> None:
    result = _manage("check", env={"DEBUG": "1", "LOG_FORMAT": "xml"})
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json" in result.stderr
