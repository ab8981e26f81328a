"""Shared fixtures and tiers: the ``build`` marker, one full build per session (e2e tests), hypothesis settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from analysis.core.paths import Paths, default_paths

# No per-example deadline: ``make test-fast`` runs on every core beside other work, where a
# deadline fails on the machine's load, not on the code (speed targets live in benchmarks/).
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

#: Modules whose tests run a full build, execute notebooks, render the report or start real
#: processes (clusters, browsers): the ``build`` tier. ``make test-fast`` leaves them out
#: (``-m "not build"``); ``make test`` (what CI runs) includes them. Tests that use the
#: session's ``built`` fixture join the tier wherever they live.
BUILD_MODULES = frozenset(
    {
        "test_build_integrity",
        "test_cluster_processes",
        "test_describe_notebooks",
        "test_determinism",
        "test_disclosure_outputs",
        "test_e2e",
        "test_format_invariance",
        "test_leak_build",
        "test_model_cards",
        "test_models_notebook",
        "test_render_pandoc",
        "test_render_quarto",
        "test_report_browser",
        "test_report_layout",
        "test_report_measurements",
        "test_report_trace",
        "test_small_export",
        "test_table_breaks",
        "test_teaching",
        "test_twin_ch3_targets",
        "test_twin_models",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the ``build`` tier: tests of :data:`BUILD_MODULES`, tests using ``built`` and e2e tests."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        uses_build = "built" in getattr(item, "fixturenames", ())
        if module in BUILD_MODULES or uses_build or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.build)


def isolated_paths(tmp: Path) -> Paths:
    """The project's code and params with every written folder (build, processed, output) under
    ``tmp`` and an empty raw folder, so a build there uses the twin and touches nothing shared."""
    return Paths(
        default_paths().root,
        build=tmp / "build",
        raw=tmp / "raw-empty",
        processed=tmp / "processed",
        output=tmp / "output",
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, list]:
    """Synthetic twin -> ingest -> notebooks -> report, in an isolated folder (about a minute)."""
    from analysis.pipeline.build import BuildConfig, build

    tmp = tmp_path_factory.mktemp("e2e")
    paths = isolated_paths(tmp)
    results = build(BuildConfig(paths=paths, synthetic=None))
    return paths, results
