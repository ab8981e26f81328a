"""Shared fixtures: one full build of the report per test session (used by the e2e tests)."""

from __future__ import annotations

import pytest

from analysis.core.paths import Paths, default_paths


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, list]:
    """Synthetic twin -> ingest -> notebooks -> report, in an isolated folder (about a minute)."""
    from analysis.pipeline.build import BuildConfig, build

    tmp = tmp_path_factory.mktemp("e2e")
    paths = Paths(
        default_paths().root,
        build=tmp / "build",
        raw=tmp / "raw-empty",
        processed=tmp / "processed",
        output=tmp / "output",
    )
    results = build(BuildConfig(paths=paths, synthetic=None))
    return paths, results
