"""Which loops the engine runs over the whole graph: compiled, or Python.

`compiled` is the module built from `_kernel.pyx` when the package was installed
(`pip install -e .`, `make install`), or None where it could not be built (no C compiler):
the engine then runs its Python loops, which give the same results, only more slowly
(about three times, at 250,000 nodes; docs/benchmarks.md). The rules live once, in
Python (propagation.py); `_kernel.pyx` repeats only the loops that every edge goes through,
and tests/impact holds both readings to the slow reference implementation.

Read `kernel.compiled` at call time rather than importing the name, so that the tests and
`bench.impact --python-loops` can switch to the Python loops.
"""

from __future__ import annotations

import logging
from types import ModuleType

__all__ = ["compiled", "description"]

log = logging.getLogger(__name__)


def _load() -> ModuleType | None:
    try:
        from dependencies.impact import _kernel
    except ImportError as error:
        log.warning(
            "the impact engine's compiled loops are not built (%s): running its Python loops, "
            "about three times slower on large graphs; `pip install -e .` with a C compiler "
            "builds them",
            error,
        )
        return None
    return _kernel


compiled: ModuleType | None = _load()


def description() -> str:
    """For logs and benchmarks: which loops run."""
    return "compiled loops" if compiled is not None else "Python loops (no compiled kernel)"
