"""docker-compose.yml: the production shape comes back by itself after a crash."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_every_long_running_service_has_a_restart_policy() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name, service in services.items():
        assert service.get("restart") in ("always", "unless-stopped"), name
