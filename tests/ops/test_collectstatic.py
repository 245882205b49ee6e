"""The production static build (collectstatic with hashed names, as the Dockerfile runs it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"


@pytest.mark.skipif(
    not (VENDOR / "cytoscape.min.js").exists(), reason="needs `make assets` (make test runs it)"
)
def test_collectstatic_with_the_manifest_storage(settings: Any, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # A file referencing one that is not collected (a source map) fails the whole build.
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert "vendor/cytoscape-dagre.min.js" in manifest
    assert (tmp_path / manifest["vendor/cytoscape.min.js"]).exists()
