"""Compare mode end to end in real headless Chromium (Playwright), with a screenshot.

Uses a downscaled copy of the shared reference photo horses.jpg when present (a synthetic image
otherwise). The screenshot goes to work_dirs/web/compare.png (docs/screenshots/compare.png is a copy).
"""
import numpy as np
import pytest
from PIL import Image

from .conftest import REFERENCE_IMAGES, REPO, two_region_image
from .test_browser import launch, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = REPO / "work_dirs" / "web" / "compare.png"


def test_compare_in_browser(segmenter, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from proxyseg.web import create_app

    img_path = tmp_path / "horses.jpg"
    ref = REFERENCE_IMAGES / "horses.jpg"
    if ref.is_file():
        im = Image.open(ref).convert("RGB")
        im.thumbnail((320, 320))
        im.save(img_path, quality=90)
        classes = "horse, grass, sky, mountain"
    else:
        Image.fromarray(two_region_image(96, 128)).save(img_path)
        classes = "sky, grass, red square"
    url, server = serve(create_app(segmenter, trusted_hosts=["127.0.0.1"]))
    try:
        with sync_api.sync_playwright() as p:
            browser = launch(p)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                errors = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(url)
                page.click("text=compare methods")  # the link on the main page
                page.wait_for_selector("#methods")
                page.set_input_files("#file", str(img_path))
                page.fill("#classes", classes)
                # too few methods: refused in the page
                for box in page.query_selector_all("#methods input:checked"):
                    box.uncheck()
                page.check("#methods input[value='clip']")
                page.click("#go")
                assert "Choose 2 to 4 methods" in page.inner_text("#error")
                for m in ("maskclip", "proxyclip", "proxyclip+fa"):
                    page.check(f"#methods input[value='{m}']")
                assert page.is_disabled("#methods input[value='sclip']")  # a fifth cannot be chosen
                page.click("#go")
                page.wait_for_selector("#result:not([hidden])", timeout=120_000)
                page.wait_for_selector("#spinner", state="hidden")
                chosen = page.eval_on_selector_all("#methods input:checked", "els => els.map(e => e.value)")
                assert sorted(chosen) == ["clip", "maskclip", "proxyclip", "proxyclip+fa"]  # in the page's order
                captions = page.locator("#panels figcaption").all_inner_texts()
                assert [c.splitlines()[0] for c in captions] == ["input", *chosen]
                srcs = page.eval_on_selector_all("#panels img", "els => els.map(e => e.src.slice(0, 15))")  # data:image/xxx
                assert srcs == ["data:image/jpeg"] + ["data:image/png;"] * 4
                # panels side by side: one row, left to right
                boxes = [page.locator("#panels figure").nth(i).bounding_box() for i in range(5)]
                assert len({round(b["y"]) for b in boxes}) == 1 and [b["x"] for b in boxes] == sorted(b["x"] for b in boxes)
                head = page.locator("#legend thead th").all_inner_texts()
                assert head[2:] == chosen
                assert page.locator("#legend tbody tr").count() == len(classes.split(","))
                page.evaluate("document.activeElement && document.activeElement.blur()")
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT), full_page=True)
            finally:
                browser.close()
    finally:
        server.shutdown()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    assert SCREENSHOT.is_file() and np.asarray(Image.open(SCREENSHOT)).std() > 0
