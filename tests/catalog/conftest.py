from pathlib import Path

import pytest

# Backstage's own example catalog, carried in tests/fixtures with its licence.
EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "backstage-examples"


@pytest.fixture(scope="session")
def examples() -> Path:
    assert (EXAMPLES / "all.yaml").is_file(), f"missing test fixture {EXAMPLES}"
    return EXAMPLES
