from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_is_valid_and_warning_free(tmp_path: Any) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ["/api/v1/nodes/", "/api/v1/edges/", "/api/v1/objectives/", "/api/v1/teams/"]:
        assert f"{path}:" in text


def test_docs_are_served_without_a_cdn(client_as: Any) -> None:
    client = client_as("member")
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn." not in docs
