"""The HTML report in a real browser (headless Chromium from Debian, driven by Selenium).

Loads the report of the full build, asserts no console errors, that every internal link
(``#anchor``) and every link to a file of the build resolves, that every figure is drawn
with a size, and that the page stays small; saves screenshots of three places
(``<build>/screenshots/``, outside git) for a human to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from analysis.core.paths import Paths

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None, reason="chromium and chromium-driver (apt) not installed"
    ),
]
#: Largest HTML report accepted (figures as optimised inline SVG, no web fonts).
MAX_HTML_BYTES = 3_000_000


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        "--allow-file-access-from-files",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(built: tuple[Paths, list], browser) -> tuple[Paths, Path]:
    paths, _ = built
    report = paths.report_output / "report.html"
    browser.get(report.resolve().as_uri())
    return paths, report


def test_html_is_small(page: tuple[Paths, Path]) -> None:
    _, report = page
    assert report.stat().st_size < MAX_HTML_BYTES, f"{report.stat().st_size / 1e6:.1f} MB"


def test_no_console_errors(page: tuple[Paths, Path], browser) -> None:
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors


def test_every_internal_link_resolves(page: tuple[Paths, Path], browser) -> None:
    _, report = page
    hrefs = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));"
    )
    anchors = [h[1:] for h in hrefs if h.startswith("#") and len(h) > 1]
    missing = browser.execute_script(
        "return arguments[0].filter(id => !document.getElementById(decodeURIComponent(id)));", anchors
    )
    assert anchors and not missing, f"links to missing anchors: {missing[:10]}"
    files = [h for h in hrefs if not h.startswith("#") and not urlparse(h).scheme]
    absent = [h for h in files if not (report.parent / unquote(h.split("#")[0])).exists()]
    assert not absent, f"links to missing files: {absent[:10]}"


def test_figures_render(page: tuple[Paths, Path], browser) -> None:
    sizes = browser.execute_script("""
        return Array.from(document.querySelectorAll('figure svg, figure img')).map(el => {
          const r = el.getBoundingClientRect();
          const drawn = el.tagName.toLowerCase() === 'img' ? el.naturalWidth > 0 : el.childElementCount > 0;
          return [r.width, r.height, drawn];
        });""")
    assert len(sizes) >= 12
    bad = [i for i, (w, h, drawn) in enumerate(sizes) if w < 50 or h < 50 or not drawn]
    assert not bad, f"figures not drawn: {bad}"


def test_screenshots_of_three_places(page: tuple[Paths, Path], browser) -> None:
    paths, _ = page
    folder = paths.build / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    shots = {"title": None, "figure": "figure", "appendix-d": "#tbl-repro-map"}
    for name, selector in shots.items():
        if selector is None:
            browser.execute_script("window.scrollTo(0, 0);")
        else:
            browser.execute_script(
                "const el = document.querySelector(arguments[0]); if (el) el.scrollIntoView();", selector
            )
        out = folder / f"{name}.png"
        assert browser.save_screenshot(str(out)) and out.stat().st_size > 10_000
