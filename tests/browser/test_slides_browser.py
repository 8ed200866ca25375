"""Every slide of every deck (tools/slides.py) in Chromium at 1280x720: nothing cut off, every figure loaded, the
maths typeset, and no request leaves this machine (reveal.js, RequireJS and MathJax come from build/vendor)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_ui import ARTIFACTS, serve_folder

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
VIEWPORT = {"width": 1280, "height": 720}
SHOTS = {("02", 2, 0), ("06", 1, 2)}  # (deck, h, v): a section with its code, a figure under its code
MEASURE = """() => {
  const slides = [];
  for (const section of Reveal.getSlides()) {
    const at = Reveal.getIndices(section);
    Reveal.slide(at.h, at.v);
    const box = section.getBoundingClientRect();
    const outside = [...section.querySelectorAll('*')].filter(e => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && (r.top < -1 || r.bottom > innerHeight + 1 || r.left < -1 || r.right > innerWidth + 1);
    }).length;
    const wide = [...section.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 1).length;
    const broken = [...section.querySelectorAll('img')].filter(i => !i.complete || i.naturalWidth === 0).length;
    slides.push({h: at.h, v: at.v, height: section.scrollHeight, limit: Reveal.getConfig().height, outside, wide,
                 broken, text: section.innerText.slice(0, 60)});
  }
  return slides;
}"""


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """The slides of every notebook, built into a temporary folder and served on 127.0.0.1."""
    out = tmp_path_factory.mktemp("slides")
    done = subprocess.run([sys.executable, str(REPO / "tools" / "slides.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with serve_folder(out) as address:
        yield address


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_slide_fits_and_loads_everything_locally(browser, decks, notebook):
    page = browser.new_page(viewport=VIEWPORT)
    problems = []
    page.on("request", lambda r: r.url.startswith(("data:", decks)) or problems.append(f"remote: {r.url}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: r.status < 400 or problems.append(f"{r.status}: {r.url}"))
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    try:
        page.goto(f"{decks}/{notebook.stem}.slides.html")
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)
        page.wait_for_function("window.MathJax && MathJax.isReady === true", timeout=60_000)  # started, typeset
        page.evaluate("() => new Promise(done => MathJax.Hub.Queue(done))")  # and whatever it still had queued
        slides = page.evaluate(MEASURE)
        assert slides[0]["text"].startswith(notebook.stem[:2] + " · "), slides[0]["text"]  # the title slide
        assert len(slides) >= 5
        cut = [s for s in slides if s["height"] > s["limit"] or s["outside"] or s["wide"] or s["broken"]]
        assert cut == [], f"slides cut off or with a missing figure in {notebook.name}"
        text = page.inner_text(".slides")
        assert "VBox(" not in text and "REPOSITORY =" not in text  # widgets and setup cells are skipped
        if "$" in notebook.read_text(encoding="utf-8"):
            page.wait_for_selector(".MathJax_CHTML", state="attached", timeout=30_000)  # a formula was typeset
        for deck, h, v in SHOTS:
            if deck == notebook.name[:2]:
                page.evaluate(f"Reveal.slide({h}, {v})")
                page.wait_for_timeout(300)
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"slides_{deck}_{h}_{v}.png"))
        assert problems == []
    finally:
        page.close()
