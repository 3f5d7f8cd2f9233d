"""Compare mode through the Flask test client: the page, POST /api/compare, and its refusals."""
import base64
import io

import numpy as np
import pytest
from PIL import Image

from proxyseg.errors import UsageError
from proxyseg.web import create_app

from .conftest import png, raw_png, two_region_image
from .test_app import check_headers


@pytest.fixture(scope="module")
def app(segmenter):
    return create_app(segmenter, max_upload_mb=1, max_classes=5, max_name_len=20, max_pixels=1_000_000, max_side=64)


@pytest.fixture()
def client(app):
    return app.test_client()


def post(client, image=b"", filename="photo.png", methods=("clip", "proxyclip"), **form):
    data = {"classes": "sky, grass, red square", **form}
    if image is not None:
        data["image"] = (io.BytesIO(image), filename)
    data["methods"] = list(methods)
    return client.post("/api/compare", data=data, content_type="multipart/form-data")


def decode(uri, prefix="data:image/png;base64,"):
    assert uri.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(uri[len(prefix):])))


def test_page_offers_every_method(client, segmenter):
    from proxyseg.methods import method_names

    r = client.get("/compare")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    for name in method_names():
        assert f'value="{name}"' in html, name
    assert 'value="proxyclip+fa"' in html and "static/compare.js" in html and 'data-max-methods="4"' in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline code
    check_headers(r)
    assert 'href="/compare"' in client.get("/").get_data(as_text=True)
    for path, mime in (("/static/compare.js", "text/javascript"), ("/static/compare.css", "text/css")):
        s = client.get(path)
        assert s.status_code == 200 and s.mimetype == mime and "https://" not in s.get_data(as_text=True)


def test_compare_ok(client):
    img = two_region_image(48, 64)
    r = post(client, image=png(img), methods=("clip", "maskclip", "proxyclip", "proxyclip+fa"))
    assert r.status_code == 200, r.json
    check_headers(r)
    assert r.headers["Cache-Control"] == "no-store"
    j = r.json
    assert j["methods"] == ["clip", "maskclip", "proxyclip", "proxyclip+fa"] and j["name"] == "photo"
    assert (j["width"], j["height"]) == (64, 48) and j["classes"] == ["sky", "grass", "red square"]
    assert [p["method"] for p in j["panels"]] == j["methods"]
    for p in j["panels"]:
        assert decode(p["overlay_png"]).size == (64, 48) and abs(sum(p["shares"].values()) - 1) < 1e-4
    assert [e["name"] for e in j["legend"]] == j["classes"]  # one legend, one colour per class
    assert j["legend"][0]["color"] == "#e6194b" and set(j["legend"][0]["shares"]) == set(j["methods"])
    assert decode(j["image_jpeg"], "data:image/jpeg;base64,").size == (64, 48)
    # comma-separated in one field works too, with a background class
    r = post(client, image=png(img), methods=("clip,maskclip",), background="1", prob_thd="0.9")
    assert r.status_code == 200 and r.json["classes"][0] == "background" and r.json["prob_thd"] == 0.9


@pytest.mark.parametrize("methods, message", [
    (("clip",), "choose 2 to 4 methods to compare (got 1)"),
    (("clip", "maskclip", "proxyclip", "sclip", "clearclip"), "choose 2 to 4 methods to compare (got 5)"),
    (("clip", "proxyclip:sam-b"), "method 'proxyclip:sam-b' is not offered by this server; choose from: proxyclip,"),
    (("clip", "clip"), "each method can be chosen once"),
])
def test_bad_methods_400(client, methods, message):
    r = post(client, image=png(two_region_image()), methods=methods)
    assert r.status_code == 400 and message in r.json["error"], r.json


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("kw, status, message", [
    (dict(image=b"\x00" * (1024 * 1024 + 10)), 413, "larger than the limit of 1 MB"),
    (dict(image=raw_png(30000, 30000), filename="bomb.png"), 413, "above the limit of 1 megapixels"),
    (dict(image=b"hello", filename="notes.png"), 400, "'notes': not an image Pillow can read"),
    (dict(image=None), 400, "no image uploaded"),
    (dict(classes=""), 400, "type at least one class"),
    (dict(classes="a, b, c, d, e, f"), 400, "too many classes: 6 (at most 5)"),
    (dict(prob_thd="0.5"), 400, "prob_thd needs a background class"),
])
def test_same_refusals_as_segment(client, kw, status, message):
    kw.setdefault("image", png(two_region_image()))
    r = post(client, **kw)
    assert r.status_code == status and message in r.json["error"], r.json
    check_headers(r)


def test_cross_origin_refused(client):
    r = client.post("/api/compare", data={"classes": "a"}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "cross-origin" in r.json["error"]


def test_offered_methods_checked_at_start(segmenter):
    app = create_app(segmenter, compare_methods=["clip", "maskclip+fa"])
    html = app.test_client().get("/compare").get_data(as_text=True)
    assert 'value="maskclip+fa"' in html and 'value="proxyclip"' not in html
    with pytest.raises(UsageError, match="method spec 'proxclip': unknown method"):
        create_app(segmenter, compare_methods=["clip", "proxclip"])
    with pytest.raises(UsageError, match="compare needs at least 2 method specs, got 1"):
        create_app(segmenter, compare_methods=["clip"])


def test_main_bad_compare_methods_one_line(capsys):
    from proxyseg.web.__main__ import main

    assert main(["--config", "tiny", "--device", "cpu", "--port", "0", "--compare-methods", "clip,proxyclip:dino-x9"]) == 2
    err = capsys.readouterr().err
    assert "error: method spec 'proxyclip:dino-x9': unknown arch 'x9' for VFM 'dino'" in err and "Traceback" not in err
