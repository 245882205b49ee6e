"""Every engine test runs twice: with the compiled loops and with the Python ones.

The Python loops are the reference for the compiled ones (dependencies.impact.kernel), and
the fallback where nothing could be compiled; both must give what the rules say.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dependencies.impact import kernel


@pytest.fixture(autouse=True, scope="module", params=["compiled loops", "Python loops"])
def engine_loops(request: pytest.FixtureRequest) -> Iterator[str]:
    compiled = kernel.compiled
    if request.param == "compiled loops" and compiled is None:
        pytest.skip("the compiled kernel is not built here (pip install -e .)")
    if request.param == "Python loops":
        kernel.compiled = None
    try:
        yield request.param
    finally:
        kernel.compiled = compiled
