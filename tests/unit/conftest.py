"""Hypothesis profiles for the property tests of this folder (they are marked ``fuzz``).

A normal run uses ``tinycrm``: derandomized (the same examples every run), bounded so that all of them add a
few seconds. ``pytest -m fuzz`` runs only the property tests, under ``fuzz``: many more examples, new ones
each run (a failure prints the example and how to reproduce it; ``--hypothesis-seed=N`` repeats a run).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "tinycrm",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "fuzz",
    parent=settings.get_profile("tinycrm"),
    derandomize=False,
    max_examples=5_000,
    print_blob=True,
)
settings.load_profile("tinycrm")


def _fuzzing(config: pytest.Config) -> bool:
    """Whether ``-m`` selects the tests marked ``fuzz`` and not the others (``-m fuzz``)."""
    expr = config.getoption("markexpr", "") or ""
    if "fuzz" not in expr:
        return False
    try:
        from _pytest.mark.expression import Expression

        compiled = Expression.compile(expr)
        return compiled.evaluate(lambda name, **kw: name == "fuzz") and not compiled.evaluate(
            lambda name, **kw: False
        )
    except Exception:  # noqa: BLE001 - pytest's expression parser is not public: read it plainly then
        return expr.strip() == "fuzz"


def pytest_configure(config: pytest.Config) -> None:
    if _fuzzing(config):
        settings.load_profile("fuzz")
