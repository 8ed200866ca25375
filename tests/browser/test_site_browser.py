"""The website of the executed notebooks (tools/site.py) in Chromium at 1280x800: every page loads everything from
the site itself (no other host, no failed request, no missing figure), every internal link and anchor leads
somewhere, the maths is typeset and the search page finds the lessons. Screenshots: test-artifacts/browser/site_*.png.
"""
from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from jupyter_ui import ARTIFACTS, serve_folder

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
VIEWPORT = {"width": 1280, "height": 800}
SETTLED = """async () => {  // MathJax typesets after the page loaded, then loads its fonts
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  await document.fonts.ready;
  return true;
}"""
PAGE_FACTS = """() => ({
  broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  wide: [...document.querySelectorAll('.pst-scrollable-table-container, .cell_output pre')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText.slice(0, 60)),
  formulas: document.querySelectorAll('mjx-container').length,
  mathErrors: document.querySelectorAll('mjx-merror').length,
})"""


@dataclass
class Visit:
    """What the browser saw on the site: problems with requests, and each page's facts (PAGE_FACTS) by URL."""
    problems: list[str] = field(default_factory=list)
    pages: dict[str, dict] = field(default_factory=dict)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built into a temporary folder and served on 127.0.0.1: (its address, its folder)."""
    out = tmp_path_factory.mktemp("site") / "site"
    done = subprocess.run([sys.executable, str(REPO / "tools" / "site.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with serve_folder(out) as address:
        yield address, out


def pages(out: Path) -> list[Path]:
    """The site's pages: every HTML file but the theme's templates that Sphinx copies into _static."""
    return sorted(p for p in out.rglob("*.html") if p.relative_to(out).parts[0] != "_static")


@pytest.fixture(scope="module")
def visit(browser, site) -> Visit:
    """Every HTML page of the site opened in one tab, with every request recorded; screenshots on the way."""
    base, out = site
    seen = Visit()
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.on("request", lambda r: r.url.startswith((base, "data:", "blob:")) or seen.problems.append(f"remote {r.url}"))
    page.on("requestfailed", lambda r: seen.problems.append(f"failed {r.url}: {r.failure}"))
    page.on("response", lambda r: r.status < 400 or seen.problems.append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda e: seen.problems.append(f"JavaScript error: {e}"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        for path in pages(out):
            url = f"{base}/{path.relative_to(out).as_posix()}"
            page.goto(url, wait_until="networkidle")
            page.evaluate(SETTLED)
            page.wait_for_load_state("networkidle")
            seen.pages[url] = page.evaluate(PAGE_FACTS)
            if path.name == "index.html":
                page.screenshot(path=ARTIFACTS / "site_home.png")
                page.locator("table").nth(1).scroll_into_view_if_needed()
                page.screenshot(path=ARTIFACTS / "site_home_results.png")
            if path.name == "06_lenet.html":
                page.locator("img").first.scroll_into_view_if_needed()
                page.screenshot(path=ARTIFACTS / "site_06_lenet.png")
    finally:
        context.close()
    return seen


def test_every_page_loads_only_from_the_site_with_every_figure(visit, site):
    assert visit.problems == []
    assert len(visit.pages) >= 1 + len(NOTEBOOKS)
    assert {url: facts["broken"] for url, facts in visit.pages.items() if facts["broken"]} == {}
    assert {url: facts["mathErrors"] for url, facts in visit.pages.items() if facts["mathErrors"]} == {}


def test_no_table_or_printed_output_is_cut_off_at_1280_pixels(visit):
    assert {url: facts["wide"] for url, facts in visit.pages.items() if facts["wide"]} == {}


def test_every_internal_link_and_anchor_leads_somewhere(visit, site):
    base, _ = site
    targets = {link for facts in visit.pages.values() for link in facts["links"] if link.startswith(base + "/")}
    missing = []
    for target in sorted({t.split("#")[0] for t in targets}):
        try:
            urllib.request.urlopen(target, timeout=30).close()
        except urllib.error.HTTPError as error:
            missing.append(f"{error.code} {target}")
    for target in sorted(t for t in targets if urllib.parse.urldefrag(t).fragment):
        url, fragment = urllib.parse.urldefrag(target)
        if urllib.parse.unquote(fragment) not in visit.pages.get(url, {}).get("ids", []):
            missing.append(f"no id for {target}")
    assert missing == []
    home = visit.pages[f"{base}/index.html"]["links"]
    notebook_pages = {urllib.parse.urldefrag(link).url for link in home if link.startswith(f"{base}/notebooks/")}
    assert notebook_pages == {f"{base}/notebooks/{p.stem}.html" for p in NOTEBOOKS}


def test_the_maths_is_typeset(visit, site):
    base, _ = site
    assert visit.pages[f"{base}/notebooks/01_conv_as_linear_layer.html"]["formulas"] > 0
    assert visit.pages[f"{base}/index.html"]["formulas"] > 0  # the README's $W^\top$


def test_the_search_page_finds_the_lessons(browser, site):
    base, _ = site
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(f"{base}/search.html?q=convolution")
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=30_000)
        assert results.count() >= 1
        assert "notebooks/" in results.first.locator("a").first.get_attribute("href")
    finally:
        page.close()
