"""Build configuration beyond pyproject.toml: the optional C chunker over ICU.

``pipeline.chunking._icuchunk`` is optional: without a C compiler the install still succeeds and
``pipeline.chunking`` uses its pure-Python path (same chunks, slower). It needs no ICU headers or
link step: it finds ICU's functions at run time in the library PyICU has loaded.
"""

import sys

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "pipeline.chunking._icuchunk",
            sources=["pipeline/chunking/_icuchunk.c"],
            libraries=["dl"] if sys.platform.startswith("linux") else [],
            optional=True,
        )
    ]
)
