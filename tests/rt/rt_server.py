"""An isolated Request Tracker 5 for the end-to-end test, from Debian's packages.

The set-up is the one verified in the team handbook's reference/itsm-apis.md §3 ("Fresh RT5 +
SQLite on Debian 12"): a site config of our own in a folder of our own (``RT_SITE_CONFIG_DIR``
points at an empty folder so nothing under /etc is read), ``rt-setup-database --action init
--skip-create`` for a SQLite database in that folder, an auth token made with RT's own Perl API,
and ``rt-server --server Standalone`` (one process) on a free loopback port. Nothing outside the
folder is touched, so it runs beside a packaged RT or another test run.

    with RequestTrackerInstance.start() as rt:
        rt.base_url, rt.token

Run as ``python -m tests.rt.rt_server`` to start one by hand; it prints the URL and token
and serves until interrupted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

SETUP_DATABASE = Path("/usr/sbin/rt-setup-database")
RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_LIB = Path("/usr/share/request-tracker5/lib")
PACKAGES = "request-tracker5 rt5-db-sqlite rt5-standalone"

# The Perl of §3 "Auth": a token for root, printed as <tokenid>-<userid>-<secret>.
_MAKE_TOKEN = """
use RT -init;
my $user = RT::User->new(RT->SystemUser);
$user->Load("root");
my ($id, $msg, $token) = RT::AuthToken->new(RT::CurrentUser->new($user))->Create(
    Owner => $user->id, Description => "cataligent end-to-end test");
die "could not make a token: $msg\\n" unless $id;
print "$token\\n";
"""


class RequestTrackerUnavailable(RuntimeError):
    """RT is not installed, or the instance would not start (the message says which)."""


def missing_reason() -> str | None:
    """Why RT cannot run here, or None when the packages are installed."""
    for path in (SETUP_DATABASE, RT_SERVER):
        if not path.exists():
            return (
                f"Request Tracker 5 is not installed ({path} is missing); install it with "
                f"`apt-get install {PACKAGES}` (.ci/run does)"
            )
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _site_config(folder: Path, port: int, time_zone: str) -> str:
    # Perl single-quoted strings: the folder comes from mkdtemp, so it has no quotes.
    return f"""
Set($rtname, 'example.test');
Set($Organization, 'example.test');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{folder}/rtdb');
Set($WebPath, '');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set($Timezone, '{time_zone}');
Set($LogToSyslog, undef);
Set($LogToSTDERR, 'warning');
Set($RestrictReferrer, 0);
$RT::MasonDataDir = '{folder}/mason';
$RT::MasonSessionDir = '{folder}/sessions';
1;
"""


@dataclass
class RequestTrackerInstance:
    folder: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "rt-server.log"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def env(self) -> dict[str, str]:
        return _environment(self.folder)

    def run_perl(self, code: str) -> str:
        """Run Perl with RT's library and this instance's config (``use RT -init;`` first)."""
        return _run(["perl", f"-I{RT_LIB}", "-e", code], self.env, self.folder)

    @classmethod
    def start(cls, *, timeout: float = 90.0, time_zone: str = "UTC") -> RequestTrackerInstance:
        """Set up a fresh instance in a new temporary folder and wait until it answers.

        ``time_zone`` is the server's ``$Timezone``: the zone RT reads TicketSQL dates in for
        a user with none of its own (root has none)."""
        reason = missing_reason()
        if reason:
            raise RequestTrackerUnavailable(reason)
        folder = Path(tempfile.mkdtemp(prefix="cataligent-rt-"))
        try:
            return cls._start_in(folder, timeout=timeout, time_zone=time_zone)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    @classmethod
    def _start_in(cls, folder: Path, *, timeout: float, time_zone: str) -> RequestTrackerInstance:
        port = _free_port()
        for sub in ("conf.d", "mason", "sessions"):
            (folder / sub).mkdir()
        (folder / "RT_SiteConfig.pm").write_text(_site_config(folder, port, time_zone))
        env = _environment(folder)
        _run([str(SETUP_DATABASE), "--action", "init", "--skip-create"], env, folder)
        printed = _run(["perl", f"-I{RT_LIB}", "-e", _MAKE_TOKEN], env, folder).split()
        token = printed[-1] if printed else ""
        if token.count("-") < 2:
            raise RequestTrackerUnavailable(f"RT printed no auth token: {token!r}")
        log = (folder / "rt-server.log").open("wb")
        process = subprocess.Popen(
            [str(RT_SERVER), "--server", "Standalone", "--port", str(port)],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
        log.close()
        instance = cls(folder=folder, port=port, token=token, process=process)
        try:
            instance._wait_until_ready(timeout)
        except BaseException:
            instance.stop()
            raise
        return instance

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"token {self.token}"}
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RequestTrackerUnavailable(
                    f"rt-server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                response = httpx.get(f"{self.base_url}/REST/2.0/rt", headers=headers, timeout=5)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        raise RequestTrackerUnavailable(
            f"rt-server did not answer within {timeout:.0f} s ({last}):\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server (its whole process group) and remove the folder."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RequestTrackerInstance:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RT_SITE_CONFIG": str(folder / "RT_SiteConfig.pm"),
        # An empty folder: /etc/request-tracker5/RT_SiteConfig.d is not read.
        "RT_SITE_CONFIG_DIR": str(folder / "conf.d"),
    }


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RequestTrackerUnavailable(
            f"{Path(command[0]).name} failed ({result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return result.stdout


if __name__ == "__main__":
    with RequestTrackerInstance.start() as rt:
        print(f"Request Tracker at {rt.base_url}  token: {rt.token}  folder: {rt.folder}")
        print("Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            rt.process.wait()
