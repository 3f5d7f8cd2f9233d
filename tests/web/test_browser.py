"""End to end in real headless Chromium (Debian package, driven by Playwright; no browser download).

Skipped with a visible reason when /usr/bin/chromium is missing or cannot start.
"""
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import REPO, two_region_image

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT = REPO / "work_dirs" / "web" / "screenshot.png"


def serve(app):
    """The real werkzeug server on a free 127.0.0.1 port in a thread -> (url, server)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/", server


def launch(playwright):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install the Debian packages chromium and chromium-driver")
    try:
        return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception as e:  # noqa: BLE001 - any launch failure is an environment problem
        pytest.skip(f"Playwright cannot launch {CHROMIUM}: {str(e).splitlines()[0][:200]}")


def segment_in_browser(url, image: Path, classes: str, screenshot: Path, viewport=(1280, 760), timeout_ms=120_000):
    """Open the page, pick ``image`` with the file input, type ``classes``, wait for the overlay.

    Returns (legend text, download name, console errors). Saves a full-page screenshot.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.set_input_files("#file", str(image))
            page.fill("#classes", classes)
            page.click("#go")
            page.wait_for_selector("#overlay[src^='data:image/png']", state="visible", timeout=timeout_ms)
            page.wait_for_selector("#spinner", state="hidden")
            page.evaluate("document.activeElement && document.activeElement.blur()")
            legend = page.inner_text("#legend")
            download = page.get_attribute("#download", "download")
            href = page.get_attribute("#download", "href")
            assert href.startswith("data:image/png;base64,")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            # the page's refusals show up in the page: no classes, then a non-image
            page.fill("#classes", "")
            page.click("#go")
            assert "at least one class" in page.inner_text("#error")
            bad = image.parent / "notes.png"
            bad.write_text("not an image")
            page.set_input_files("#file", str(bad))
            page.fill("#classes", "cat")
            page.click("#go")
            page.wait_for_selector("#error:not([hidden])")
            page.wait_for_function("document.getElementById('error').textContent.includes('not an image')")
            # drag and drop: a PNG made in the page is dropped on the drop zone
            page.evaluate("""async () => {
                const c = document.createElement('canvas'); c.width = 8; c.height = 8;
                const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
                const dt = new DataTransfer(); dt.items.add(new File([blob], 'dropped.png', {type: 'image/png'}));
                document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));
            }""")
            assert page.inner_text("#filename").startswith("dropped.png")
            return legend, download, errors
        finally:
            browser.close()


def test_upload_segment_legend_screenshot(segmenter, tmp_path):
    from proxyseg.web import create_app

    img_path = tmp_path / "two regions.png"
    Image.fromarray(two_region_image(96, 128)).save(img_path)
    url, server = serve(create_app(segmenter, trusted_hosts=["127.0.0.1"]))
    try:
        legend, download, errors = segment_in_browser(url, img_path, "red square, green grass", SCREENSHOT)
    finally:
        server.shutdown()
    assert "red square" in legend and "green grass" in legend and "%" in legend
    assert download == "two_regions_mask.png"
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    assert SCREENSHOT.is_file() and np.asarray(Image.open(SCREENSHOT)).std() > 0
