"""Ctrl-C on the demo stops every process it started, within seconds.

Runs scripts/demo_processes.sh (the part of `make demo` after install, migrate and seed)
in a session of its own, on free ports and a temporary var dir, and looks at every process
of that session in /proc: the worker's pool and runserver's reloader count too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.faults.processes import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)"),
]


def session_members(session: int) -> list[tuple[int, str]]:
    """(pid, command) of the live processes in ``session``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command, rest = stat.split(" (", 1)[1].rsplit(")", 1)
        state, _ppid, _pgrp, sid = rest.split()[:4]
        if int(sid) == session and state != "Z":
            members.append((int(entry.name), command))
    return members


def kill_session(session: int) -> None:
    """Whatever a failed test left behind."""
    for pid, _ in session_members(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def start_demo(tmp_path: Path, name: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        PORT=str(port),
        SIMULATOR_PORT=str(free_port()),
        CATALIGENT_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        DEBUG="1",
        STOP_SECONDS="6",
    )
    demo = subprocess.Popen(
        ["bash", "scripts/demo_processes.sh"],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def web_answers() -> bool:
        if demo.poll() is not None:
            pytest.fail((tmp_path / f"{name}.log").read_text())
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
        except urllib.error.HTTPError:
            return True  # an answer all the same
        except OSError:
            return False
        return True

    wait_until(web_answers, "the demo's web app", timeout=40)
    return demo, port


def test_ctrl_c_stops_everything_the_demo_started(tmp_path: Path) -> None:
    demo, _ = start_demo(tmp_path, "demo")
    commands = [command for _, command in session_members(demo.pid)]
    assert sum(command == "celery" for command in commands) >= 3  # worker, its pool, beat

    try:
        os.killpg(demo.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
        started = time.monotonic()
        demo.wait(timeout=15)
        wait_until(lambda: not session_members(demo.pid), "every demo process to stop", timeout=10)
        assert time.monotonic() - started < 12
        assert not (tmp_path / "var" / "demo.pids").exists()
    finally:
        kill_session(demo.pid)


def test_a_new_demo_stops_what_a_killed_one_left_running(tmp_path: Path) -> None:
    first, _ = start_demo(tmp_path, "first")
    os.kill(first.pid, signal.SIGKILL)  # the script dies; its processes stay
    first.wait(timeout=5)
    assert session_members(first.pid)

    try:
        second, _ = start_demo(tmp_path, "second")
        try:
            wait_until(lambda: not session_members(first.pid), "the leftovers to stop", timeout=5)
        finally:
            os.killpg(second.pid, signal.SIGINT)
            second.wait(timeout=15)
            wait_until(
                lambda: not session_members(second.pid), "the second demo to stop", timeout=10
            )
            kill_session(second.pid)
    finally:
        kill_session(first.pid)
