"""`error_type()`: the semantic-conventions `error.type` of an exception, everywhere.

Its fully qualified class name (`builtins` left out), as semconv recommends for exceptions
("the fully-qualified class name"), so that `ValueError` and `mylib.ValueError` differ. Used
for span attributes, the HTTP duration metric, log events and X-Ray causes alike.
"""

from __future__ import annotations


def error_type(exc: BaseException | type[BaseException]) -> str:
    cls = exc if isinstance(exc, type) else type(exc)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
