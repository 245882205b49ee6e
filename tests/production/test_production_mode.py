"""Production mode for real: DEBUG off, `collectstatic` into the manifest storage, gunicorn.

The rest of the suite runs with DEBUG off but plain static storage (``STATIC_MANIFEST=0`` in
pyproject.toml), so a static file the manifest cannot hold (a minified library whose source
map is missing) or a template naming a file that is not collected would pass every other
test and still stop the compose web service or answer 500 on every page. Here the web app
runs as docker-compose.yml runs it, against the test database, and each role signs in.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import global_settings

pytestmark = pytest.mark.production

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
BIN = Path(sys.executable).parent
# What a page names that `make assets` must have laid down, or the manifest has no entry.
VENDOR = ["vendor/cytoscape.min.js", "vendor/cytoscape-dagre.min.js"]
PAGES = [
    "/map/",
    "/bottlenecks/",
    "/dashboard/",
    "/objectives/",
    "/nodes/",
    "/escalations/",
    "/ownership-gaps/",
]
ROLES = ["member", "lead", "leader", "admin"]  # member, team lead, leadership, admin
STATIC_REF = re.compile(r"""(?:src|href)=["'](/static/[^"'?#]+)""")
HASHED = re.compile(r"\.[0-9a-f]{12}\.")
SOURCE_MAP = re.compile(rb"[#@] sourceMappingURL=(\S+)")


def test_every_source_map_a_static_file_names_is_there() -> None:
    """What `make assets` copies is what the manifest needs: a `sourceMappingURL` that does
    not resolve makes collectstatic refuse the file."""
    missing = []
    for path in [*STATIC.rglob("*.js"), *STATIC.rglob("*.css")]:
        for match in SOURCE_MAP.finditer(path.read_bytes()):
            target = match.group(1).decode()
            if not target.startswith("data:") and not (path.parent / target).exists():
                missing.append(f"{path.relative_to(ROOT)} → {target}")
    assert not missing, f"source maps named but not in static/ (see the Makefile): {missing}"


def _production_env(static_root: Path, database_url: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        STATIC_MANIFEST="1",
        STATIC_ROOT=str(static_root),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="1",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    absent = [name for name in VENDOR if not (STATIC / name).exists()]
    assert not absent, f"run `make assets` first: {absent} not in static/"
    root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=ROOT,
        env=_production_env(root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"collectstatic failed:\n{result.stdout}\n{result.stderr}"
    assert (root / "staticfiles.json").exists()
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("production mode is tested on PostgreSQL (set DATABASE_URL)")
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def demo_story(transactional_db: Any, settings: Any) -> None:
    """The demo story committed, so another process sees it, with real password hashes
    (the suite's fast MD5 hasher is not one production accepts)."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from cataligent.roles import Role
    from dependencies.models import ImpactState
    from dependencies.recompute.runner import forget_cache, impact_recompute
    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    # A transactional test empties every table, rows made by migrations included.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    ImpactState.objects.get_or_create(pk=1)
    forget_cache()
    call_command("seed_demo", stdout=io.StringIO())
    member = UserFactory(username="member")
    member.set_password("demo")
    member.save()
    impact_recompute(force=True)
    yield
    forget_cache()


@dataclass
class Server:
    base: str
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def gunicorn(static_root: Path, demo_story: None, tmp_path: Path) -> Iterator[Server]:
    """The compose web service's command (docker-compose.yml), on a free loopback port."""
    server = Server(base=f"http://127.0.0.1:{_free_port()}", log=tmp_path / "gunicorn.log")
    with server.log.open("w") as log:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "cataligent.wsgi",
                "--bind",
                server.base.removeprefix("http://"),
                "--workers",
                "1",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=_production_env(static_root, _database_url()),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{server.log_tail()}"
            try:
                httpx.get(f"{server.base}/health/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"no answer in 30 s:\n{server.log_tail()}"
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Browser:
    """Plain HTTP as a browser behind the TLS proxy sends it: `X-Forwarded-Proto: https`,
    and the cookies back, Secure ones included (the connection to gunicorn is plain)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.http = httpx.Client(base_url=base, timeout=30, follow_redirects=False)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, path, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def sign_in(self, username: str) -> None:
        form = self.request("GET", "/login/")
        assert form.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token, "no CSRF token on the login page"
        # Over HTTPS Django's CSRF check also wants the Origin to be this site.
        origin = self.base.replace("http://", "https://")
        response = self.request(
            "POST",
            "/login/",
            data={"username": username, "password": "demo", "csrfmiddlewaretoken": token[1]},
            headers={"Origin": origin, "Referer": f"{origin}/login/"},
        )
        assert response.status_code == 302, f"{username} could not sign in: {response.text}"
        assert "sessionid" in self.cookies


def test_pages_and_hashed_static_files_as_every_role(gunicorn: Server) -> None:
    base = gunicorn.base
    plain = httpx.get(f"{base}/login/", timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://"), (
        "without the proxy's X-Forwarded-Proto: https the app sends the browser to HTTPS"
    )

    static_paths: set[str] = set()
    anonymous = Browser(base)
    login = anonymous.request("GET", "/login/")
    assert login.status_code == 200
    static_paths.update(STATIC_REF.findall(login.text))

    for role in ROLES:
        browser = Browser(base)
        browser.sign_in(role)
        pages = [*PAGES, "/connectors/"] if role == "admin" else PAGES
        for path in pages:
            response = browser.request("GET", path)
            assert response.status_code == 200, (
                f"{role} {path}: {response.status_code}\n{gunicorn.log_tail()}"
            )
            assert "text/html" in response.headers["Content-Type"]
            assert "script-src 'self';" in response.headers["Content-Security-Policy"]
            static_paths.update(STATIC_REF.findall(response.text))
        if role != "admin":
            assert browser.request("GET", "/connectors/").status_code == 403

    assert any("cytoscape-dagre.min" in path for path in static_paths), static_paths
    for path in sorted(static_paths):
        assert HASHED.search(path), f"{path} is not a hashed (manifest) name"
        response = httpx.get(f"{base}{path}", headers={"X-Forwarded-Proto": "https"})
        assert response.status_code == 200, f"{path}: {response.status_code}"
        assert response.content, path
        assert "immutable" in response.headers.get("Cache-Control", ""), path


def test_collectstatic_stops_when_make_assets_was_not_run(settings: Any, tmp_path: Path) -> None:
    from cataligent.checks import vendor_assets

    assert vendor_assets(None) == []
    settings.STATICFILES_DIRS = [tmp_path]  # a checkout where `make assets` never ran
    [error] = vendor_assets(None)
    assert error.id == "cataligent.E003" and "make assets" in error.hint
