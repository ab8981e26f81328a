"""Quarto path: runs only where Quarto is installed (not on the build machines)."""

import pytest

from analysis.report.render import available_renderers, render
from render_demo import make_demo_project

pytestmark = pytest.mark.skipif("quarto" not in available_renderers(), reason="Quarto is not installed")


def test_quarto_renders_both_outputs(tmp_path):
    import shutil

    from analysis.core.paths import find_root

    paths = make_demo_project(tmp_path)
    shutil.copy2(find_root() / "_quarto.yml", tmp_path / "_quarto.yml")
    files = render(paths, renderer="quarto", synthetic=True)
    assert files["html"].exists() and files["pdf"].exists()
