"""The Flask app through its test client: every endpoint and every refusal."""
import base64
import builtins
import io
import os
import re
import tempfile

import numpy as np
import pytest
from PIL import Image
from werkzeug import formparser

from proxyseg.web import create_app
from proxyseg.web.__main__ import is_loopback, main

from .conftest import png, raw_png, two_region_image

SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture(scope="module")
def app(segmenter):
    return create_app(segmenter, max_upload_mb=1, max_classes=5, max_name_len=20, max_pixels=1_000_000, max_side=64)


@pytest.fixture()
def client(app):
    return app.test_client()


def post(client, data=None, image=b"", filename="photo.png", **form):
    form = {"classes": "cat, dog", **form}
    if image is not None:
        form["image"] = (io.BytesIO(image), filename)
    return client.post("/api/segment", data=form, content_type="multipart/form-data")


def check_headers(resp):
    for k, v in SECURITY.items():
        assert resp.headers.get(k) == v, k
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert not [h for h in resp.headers.keys() if h.lower().startswith("access-control-")]


def decode(uri: str, prefix: str = "data:image/png;base64,") -> Image.Image:
    assert uri.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(uri[len(prefix):])))


def test_page_static_health(client):
    r = client.get("/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    for needle in ('id="file"', 'type="file"', 'id="drop"', 'id="classes"', 'id="background"', 'id="thd"',
                   'id="spinner"', 'id="legend"', 'id="download"', "static/app.js", 'data-max-upload-mb="1"'):
        assert needle in html, needle
    assert "<script>" not in html and "style=" not in html  # the CSP allows no inline code
    check_headers(r)
    for path, mime in (("/static/app.js", "text/javascript"), ("/static/style.css", "text/css")):
        s = client.get(path)
        assert s.status_code == 200 and s.mimetype == mime
        check_headers(s)
        assert "http://" not in s.get_data(as_text=True) and "https://" not in s.get_data(as_text=True)  # no CDN
    h = client.get("/healthz")
    assert h.status_code == 200 and h.json["status"] == "ok" and h.json["model"] == "tiny"
    check_headers(h)


def test_segment_ok(client):
    img = two_region_image(48, 64)
    r = post(client, image=png(img), filename="photo.png", classes="sky, grass; lawn, red square")
    assert r.status_code == 200, r.json
    check_headers(r)
    assert r.headers["Cache-Control"] == "no-store"
    j = r.json
    assert j["classes"] == ["sky", "grass", "red square"] and j["name"] == "photo"
    assert j["width"] == 64 and j["height"] == 48 and j["mask_filename"] == "photo_mask.png"
    assert abs(sum(j["shares"].values()) - 1) < 1e-4
    assert sorted(e["name"] for e in j["legend"]) == sorted(j["classes"])
    assert all(e["color"].startswith("#") and len(e["color"]) == 7 for e in j["legend"])
    mask = decode(j["mask_png"])
    assert mask.mode == "P" and mask.size == (64, 48) and int(np.array(mask).max()) < 3
    assert decode(j["overlay_png"]).size == (64, 48)
    assert decode(j["image_jpeg"], "data:image/jpeg;base64,").size == (64, 48)


def test_background_threshold_and_downscale(client):
    img = np.random.default_rng(0).integers(0, 256, (200, 100, 3), dtype=np.uint8)  # > max_side 64
    r = post(client, image=png(img), classes="cat, dog", background="on", prob_thd="1")
    assert r.status_code == 200, r.json
    j = r.json
    assert j["classes"][0] == "background" and j["background"] == "background" and j["prob_thd"] == 1.0
    assert decode(j["mask_png"]).size == (100, 200)  # full size mask although inference ran at 64 px
    assert j["shares"].get("background", 0) > 0.5
    r = post(client, image=png(img[:20, :20]), classes="cat", background="sea")
    assert r.status_code == 200 and r.json["classes"] == ["sea", "cat"]


def test_too_large_upload_413(client):
    r = post(client, image=b"\x00" * (1024 * 1024 + 10))
    assert r.status_code == 413
    assert "larger than the limit of 1 MB" in r.json["error"]
    check_headers(r)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bomb_refused(client):
    bomb = raw_png(30000, 30000)  # 900 megapixels in ~60 bytes
    assert len(bomb) < 100
    r = post(client, image=bomb, filename="bomb.png")
    assert r.status_code == 413 and "above the limit of 1 megapixels" in r.json["error"]
    r = post(client, image=raw_png(2000, 1000), filename="big.png")  # 2 MP, below Pillow's own guard
    assert r.status_code == 413 and "'big': 2000x1000 = 2.0 megapixels is above the limit" in r.json["error"]


@pytest.mark.parametrize("image, filename, status, message", [
    (b"hello, not an image", "notes.png", 400, "'notes': not an image Pillow can read"),
    (None, None, 400, "no image uploaded"),
    (b"", "empty.png", 400, "the file is empty"),
    ("truncated", "cut.png", 400, "'cut': the image is corrupt or truncated"),
    (raw_png(0, 5), "zero.png", 400, "'zero': "),
])
def test_bad_images_400(client, image, filename, status, message):
    if image == "truncated":
        data = png(np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8))
        image = data[: len(data) // 2]
    r = post(client, image=image, filename=filename) if image is not None else post(client, image=None)
    assert r.status_code == status and message in r.json["error"], r.json


@pytest.mark.parametrize("form, message", [
    (dict(classes=""), "type at least one class"),
    (dict(classes=" , ;, "), "class"),
    (dict(classes="a, b, c, d, e, f"), "too many classes: 6 (at most 5)"),
    (dict(classes="x" * 21), "class name too long: 21 characters (at most 20)"),
    (dict(classes="a; " + "; ".join(f"s{i}" for i in range(25))), "too many names with synonyms"),
    (dict(classes="cat, Cat"), "duplicate class names"),
    (dict(prob_thd="0.5"), "needs a background class"),
    (dict(prob_thd="abc", background="1"), "prob_thd must be a number"),
    (dict(prob_thd="2", background="1"), "prob_thd must be in [0, 1]"),
    (dict(prob_thd="nan", background="1"), "prob_thd must be in [0, 1]"),
    (dict(background="y" * 30), "background must be one class name"),
    (dict(background="cat"), "duplicate class names"),
])
def test_bad_form_400(client, form, message):
    r = post(client, image=png(two_region_image(16, 16)), **form)
    assert r.status_code == 400 and message in r.json["error"], r.json
    check_headers(r)


@pytest.fixture(scope="module")
def big_png():
    """A PNG above werkzeug's 500 KB spooling threshold (werkzeug would use a temp file)."""
    data = png(np.random.default_rng(1).integers(0, 256, (420, 420, 3), dtype=np.uint8))
    assert 500 * 1024 < len(data) < 1024 * 1024
    return data


def test_uploads_stay_in_memory(app, big_png):
    from flask import request

    with app.test_request_context("/api/segment", method="POST", content_type="multipart/form-data",
                                  data={"image": (io.BytesIO(big_png), "../x.png"), "classes": "cat"}):
        assert isinstance(request.files["image"].stream, io.BytesIO)


def listing(root):
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in filenames:
            p = os.path.join(dirpath, n)
            try:
                out.add((p, os.stat(p).st_mtime_ns))
            except OSError:
                pass
    return out


@pytest.mark.parametrize("filename", ["../../evil.png", "/etc/passwd", "..\\..\\evil.png", "a/../../../evil.png",
                                      "evil.png\x00.jpg", "....//....//evil.png"])
def test_path_traversal_names_write_nothing(client, tmp_path, monkeypatch, big_png, filename):
    monkeypatch.chdir(tmp_path)
    tmp = tempfile.gettempdir()
    before = (listing(tmp_path), set(os.listdir(tmp)), os.stat("/etc/passwd").st_mtime_ns)
    writes = []
    real_open = builtins.open

    def spy_open(file, mode="r", *a, **k):
        if any(c in mode for c in "wax+"):
            writes.append(file)
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", spy_open)
    for mod, name in [(tempfile, n) for n in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile",
                                              "mkstemp")] + [(formparser, "SpooledTemporaryFile")]:
        monkeypatch.setattr(mod, name, lambda *a, _n=name, **k: writes.append(_n) or pytest.fail(f"{_n} used"))
    data = big_png
    r = post(client, image=data, filename=filename, classes="cat")
    assert r.status_code == 200, r.json
    bad = post(client, image=b"junk", filename=filename)
    assert bad.status_code == 400
    after = (listing(tmp_path), set(os.listdir(tmp)), os.stat("/etc/passwd").st_mtime_ns)
    assert writes == [] and before[0] == after[0] and before[2] == after[2]
    new_tmp = after[1] - before[1]  # other processes may use the temp dir meanwhile: look for ours
    assert not [n for n in new_tmp if "evil" in n or "passwd" in n or "photo" in n]
    j = r.json
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", j["name"]) and j["name"] in ("evil", "passwd", "evil.png")
    assert j["mask_filename"] == f"{j['name']}_mask.png"
    assert bad.json["error"].startswith(f"'{j['name']}': ") and "/" not in bad.json["error"]


def test_cross_origin_and_hosts(segmenter):
    app = create_app(segmenter, trusted_hosts=["127.0.0.1", "localhost"])
    c = app.test_client()
    img = png(two_region_image(16, 16))
    r = c.post("/api/segment", data={"image": (io.BytesIO(img), "a.png"), "classes": "cat"},
               headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "cross-origin" in r.json["error"]
    assert not [h for h in r.headers if h[0].lower().startswith("access-control-")]
    r = c.post("/api/segment", data={"image": (io.BytesIO(img), "a.png"), "classes": "cat"},
               headers={"Origin": "http://localhost"})
    assert r.status_code == 200
    r = c.options("/api/segment", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert not [h for h in r.headers if h[0].lower().startswith("access-control-")]
    r = c.get("/healthz", headers={"Host": "rebind.evil.example"})  # DNS rebinding
    assert r.status_code == 400


def test_errors_are_json_or_page(client, app, monkeypatch, segmenter):
    r = client.get("/api/nope")
    assert r.status_code == 404 and "error" in r.json
    r = client.get("/api/segment")
    assert r.status_code == 405 and "error" in r.json
    r = client.get("/nope")
    assert r.status_code == 404 and r.mimetype == "text/html" and "404" in r.get_data(as_text=True)
    check_headers(r)

    def boom(*a, **k):
        raise RuntimeError("secret internals /home/user")

    monkeypatch.setattr(segmenter, "segment", boom)
    r = post(client, image=png(two_region_image(16, 16)))
    assert r.status_code == 500 and "secret" not in r.json["error"] and "internal error" in r.json["error"]


def test_main_refuses_remote_host(capsys):
    assert main(["--host", "0.0.0.0", "--config", "tiny"]) == 2
    err = capsys.readouterr().err
    assert "error: --host 0.0.0.0 would expose the page" in err and "--allow-remote" in err and "Traceback" not in err
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("example.com")


def test_main_port_in_use(capsys):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        assert main(["--config", "tiny", "--port", str(s.getsockname()[1]), "--device", "cpu"]) == 2
    finally:
        s.close()
    err = capsys.readouterr().err
    assert "error: cannot listen on 127.0.0.1" in err and "Address already in use" in err
    assert err.count("\n") == 2  # "loading tiny ..." and the error line
