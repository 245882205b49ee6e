"""The engine's compiled loops (dependencies/impact/_kernel.pyx).

Everything else about the package is in pyproject.toml. The extension is optional: where it
cannot be compiled (no C compiler), the install goes on and the engine runs its Python loops,
which give the same results more slowly (dependencies.impact.kernel says which is in use).
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                "dependencies.impact._kernel",
                ["dependencies/impact/_kernel.pyx"],
                optional=True,
            )
        ],
        compiler_directives={"language_level": "3"},
    )
)
