import os
from pathlib import Path

import pytest

# Backstage's own example catalog lives beside the repository (../shared/data), read-only; CI
# has it at the same place. CATALOG_EXAMPLES points elsewhere when needed.
# parents[2] is the repository root: tests/catalog/conftest.py -> tests/catalog -> tests -> root.
_DEFAULT_EXAMPLES = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "backstage-examples"
)


@pytest.fixture(scope="session")
def examples() -> Path:
    path = Path(os.environ.get("CATALOG_EXAMPLES", _DEFAULT_EXAMPLES)).resolve()
    if not (path / "all.yaml").is_file():
        pytest.skip(f"Backstage example catalog not found at {path} (set CATALOG_EXAMPLES)")
    return path
