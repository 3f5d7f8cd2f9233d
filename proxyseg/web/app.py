"""The web page: upload an image, type classes, see the segmentation.

Routes::

    GET  /              the page (templates/index.html + static/app.js, static/style.css)
    POST /api/segment   multipart: image (file), classes (text), background, prob_thd -> JSON
    GET  /healthz       {"status": "ok", ...}
    GET  /compare, POST /api/compare   compare mode: 2 to 4 methods side by side (web/compare.py)

Safety: uploads stay in memory (never a file, let alone one named by the client); request
size is capped (413), images are checked for their pixel count before decoding (413), non-
and corrupt images give 400, class lists are capped (400); no CORS headers; strict security
headers; cross-origin POSTs are refused (403); ``trusted_hosts`` blocks DNS rebinding.

Bounded memory: at most ``max_active`` segmentation requests hold an upload at a time (the
body is read only after a slot is taken); up to ``max_queued`` more wait (their bodies still
unread), and beyond that the answer is 503 with ``Retry-After``. Large JPEGs are decoded at a
reduced scale (``draft_side``), inference runs on the image downscaled to ``max_side`` and only
the mask PNG is made at the upload's full size (one byte per pixel). docs/web.md states the bound.
"""
from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
import logging
import threading
import time
from typing import List, Optional, Sequence

import numpy as np
from flask import Flask, Request, jsonify, render_template, request
from PIL import Image
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..apis import visualize as V
from ..apis.image_io import (DEFAULT_MAX_PIXELS, ImageTooLargeError, load_image_and_size, resize_max_side,
                             safe_stem)
from ..errors import ImageError, ProxySegError, UsageError
from ..text.class_names import split_class_list

log = logging.getLogger("proxyseg.web")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"", "0", "false", "off", "no"}


class InMemoryRequest(Request):
    """Uploaded files are kept in memory (the size is capped by ``MAX_CONTENT_LENGTH``)."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return io.BytesIO()


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400, headers: Optional[dict] = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class AdmissionQueue:
    """At most ``max_active`` holders at once, at most ``max_queued`` waiting; others are refused.

    ``enter()`` returns ``True`` with a slot held (release it with ``leave()``), or ``False`` when
    the queue is full or the wait exceeded ``timeout`` seconds.
    """

    def __init__(self, max_active: int, max_queued: int, timeout: float):
        self.max_active, self.max_queued, self.timeout = max_active, max_queued, timeout
        self._cond = threading.Condition()
        self._active = 0
        self._waiting = 0

    def enter(self) -> bool:
        with self._cond:
            if self._active < self.max_active:
                self._active += 1
                return True
            if self._waiting >= self.max_queued:
                return False
            self._waiting += 1
            try:
                ok = self._cond.wait_for(lambda: self._active < self.max_active, timeout=self.timeout)
                if ok:
                    self._active += 1
                return ok
            finally:
                self._waiting -= 1

    def leave(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify()

    @property
    def busy(self) -> tuple:
        """``(active, waiting)``."""
        with self._cond:
            return self._active, self._waiting


def _drain(stream, chunk: int = 1 << 16) -> None:
    """Read and drop a request body we refuse, so the client gets our answer, not a reset."""
    try:
        while stream.read(chunk):
            pass
    except Exception:  # a client that went away
        pass


def _full_size_mask(mask: np.ndarray, size: tuple) -> np.ndarray:
    """``(h, w)`` class ids -> ``(H, W)`` (nearest), one byte per pixel up to 256 classes."""
    H, W = size
    small = mask.astype(np.uint8 if int(mask.max(initial=0)) < 256 else np.int32)
    if small.shape == (H, W):
        return small
    return np.asarray(Image.fromarray(small).resize((W, H), Image.Resampling.NEAREST))


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def create_app(segmenter, *, max_upload_mb: float = 20, max_classes: int = 50, max_name_len: int = 80,
               max_pixels: Optional[int] = DEFAULT_MAX_PIXELS, max_side: Optional[int] = 1024,
               preview_side: int = 1024, trusted_hosts: Optional[Sequence[str]] = None,
               max_active: int = 2, max_queued: int = 4, queue_timeout: float = 60.0,
               retry_after: int = 5, compare_methods: Optional[Sequence[str]] = None) -> Flask:
    """The Flask app around a loaded :class:`proxyseg.apis.Segmenter` (loaded once, shared).

    Args:
        segmenter: the model (thread-safe; requests queue on its lock).
        max_upload_mb: request size cap (413 above). max_pixels: decoded size cap (413 above).
        max_classes, max_name_len: class list caps (400 above); synonyms count towards
            ``4 * max_classes`` names in total.
        max_side: inference downscale cap (masks keep the upload's size).
        preview_side: longest side of the returned preview images (the mask PNG is full size).
        trusted_hosts: accepted ``Host`` header values (``None``: any), against DNS rebinding.
        compare_methods: method specs offered by the compare mode (``None``: every method the
            config can run, and its method with ``+fa``).
        max_active: segmentation requests that may hold an upload at once (memory bound).
        max_queued: requests that may wait for a slot (bodies unread); more get 503.
        queue_timeout: longest wait for a slot in seconds (then 503).
        retry_after: the ``Retry-After`` seconds sent with a 503.
    """
    if max_active < 1 or max_queued < 0:
        raise UsageError(f"max_active must be >= 1 and max_queued >= 0, got {max_active}, {max_queued}")
    queue = AdmissionQueue(max_active, max_queued, queue_timeout)
    draft_side = max(max_side, preview_side) if max_side else None
    app = Flask(__name__)
    app.request_class = InMemoryRequest
    app.config.update(MAX_CONTENT_LENGTH=int(max_upload_mb * 1024 * 1024), TRUSTED_HOSTS=list(trusted_hosts or []) or None)
    app.json.sort_keys = False  # keep the documented key order
    limits = dict(max_upload_mb=max_upload_mb, max_classes=max_classes, max_name_len=max_name_len,
                  max_megapixels=None if max_pixels is None else max_pixels / 1e6, max_active=max_active,
                  max_queued=max_queued)

    def error(message: str, status: int):
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json" \
                or request.method == "POST":
            return jsonify(error=message, status=status), status
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(BadRequest)
    def _bad(e: BadRequest):
        resp = error(str(e), e.status)
        resp[0].headers.update(e.headers)
        return resp

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(e):
        length, cap = request.content_length, app.config["MAX_CONTENT_LENGTH"]
        if length is None or cap is None or length > cap:
            return error(f"the upload (request body) is larger than the limit of {max_upload_mb:g} MB "
                         f"(--max-upload-mb); use a smaller image", 413)
        return error(f"a form part is too large: text fields are limited to "
                     f"{app.config['MAX_FORM_MEMORY_SIZE'] / 1000:g} kB each and a form to "
                     f"{app.config['MAX_FORM_PARTS']} parts (the image itself may be up to {max_upload_mb:g} MB); "
                     f"send the image as the file field 'image' and a short class list", 413)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        return error(e.description or e.name, e.code or 500)

    @app.errorhandler(Exception)
    def _internal(e: Exception):
        log.exception("segmentation failed")
        return error("internal error while segmenting; the server log has the details", 500)

    @app.before_request
    def _same_origin_only():
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin and origin.split("://", 1)[-1] != request.host:
                raise BadRequest("cross-origin requests are refused", 403)

    @app.after_request
    def _headers(resp):
        resp.headers.update(SECURITY_HEADERS)
        if request.path.startswith("/api/"):
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.get("/")
    def index():
        return render_template("index.html", limits=limits, model=segmenter.name, device=str(segmenter.device),
                               prob_thd=segmenter.default_prob_thd or 0.25)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", model=segmenter.name, device=str(segmenter.device), limits=limits)

    @contextlib.contextmanager
    def admitted():
        """Hold one of the queue's slots for this request, or refuse it with 503."""
        if not queue.enter():  # before the body is read: a refused request costs no memory
            _drain(request.stream)
            active, waiting = queue.busy
            raise BadRequest(f"the server is busy ({active} segmentations running, {waiting} waiting); "
                             f"retry in {retry_after} s", 503, {"Retry-After": str(retry_after)})
        try:
            yield
        finally:
            queue.leave()

    @app.post("/api/segment")
    def api_segment():
        with admitted():
            return jsonify(_segment_upload())

    def _segment_upload() -> dict:
        upload = request.files.get("image")
        if upload is None:
            raise BadRequest("no image uploaded: send it as the multipart field 'image'")
        stem = safe_stem(upload.filename)
        classes = parse_classes(request.form.get("classes", ""), max_classes, max_name_len)
        background = parse_background(request.form.get("background", ""), max_name_len)
        prob_thd = parse_prob_thd(request.form.get("prob_thd", ""), background)
        label = f"'{stem}'" if upload.filename else "the upload"
        t0 = time.time()
        try:
            # pixel cap checked from the header before decoding; big JPEGs decoded at a reduced scale
            pixels, full = load_image_and_size(upload.stream, max_pixels=max_pixels, name=label,
                                               draft_side=draft_side)
            upload.stream.close()  # the upload's bytes are not needed any more
            pixels = resize_max_side(pixels, max_side)  # what segment() would do; the big array goes now
            res = segmenter.segment(pixels, classes, background=background, prob_thd=prob_thd, max_side=max_side,
                                    name=label)
        except ImageTooLargeError as e:
            raise BadRequest(str(e), 413) from None
        except (ImageError, UsageError) as e:
            raise BadRequest(str(e), 400) from None
        except ProxySegError as e:
            raise BadRequest(str(e), 500) from None
        del pixels
        seconds = time.time() - t0
        image = resize_max_side(res.image, preview_side)
        mask = res.mask
        if image.shape[:2] != mask.shape:
            mask = np.asarray(Image.fromarray(mask.astype(np.int32)).resize(image.shape[1::-1], Image.Resampling.NEAREST))
        jpeg = io.BytesIO()
        Image.fromarray(image).save(jpeg, format="JPEG", quality=88)
        full_res = dataclasses.replace(res, mask=_full_size_mask(res.mask, full))  # shares, size, PNG at full size
        body = full_res.to_dict()
        body.update(
            name=stem, seconds=round(seconds, 3), mask_filename=f"{stem}_mask.png",
            legend=[dict(name=n, color=V.hex_color(c), share=round(s, 6)) for n, c, s in full_res.legend()],
            image_jpeg=data_uri(jpeg.getvalue(), "image/jpeg"),
            overlay_png=data_uri(V.png_bytes(V.overlay(image, mask, res.colors), compress_level=3), "image/png"),
            mask_png=data_uri(full_res.mask_png(), "image/png"),
        )
        return body

    from .compare import add_compare_routes

    add_compare_routes(app, segmenter, methods=compare_methods, limits=limits, max_classes=max_classes,
                       max_name_len=max_name_len, max_pixels=max_pixels, max_side=max_side, admit=admitted)
    return app


def parse_classes(text: str, max_classes: int, max_name_len: int) -> List[str]:
    """The class text box (``"cat, dog; puppy"``) -> entries, with the web caps -> 400."""
    entries = split_class_list(text or "")
    if not entries:
        raise BadRequest("type at least one class, e.g. 'cat, dog; puppy, sky'")
    if len(entries) > max_classes:
        raise BadRequest(f"too many classes: {len(entries)} (at most {max_classes})")
    names = [n.strip() for e in entries for n in e.split(";") if n.strip()]
    if len(names) > 4 * max_classes:
        raise BadRequest(f"too many names with synonyms: {len(names)} (at most {4 * max_classes})")
    long = [n for n in names if len(n) > max_name_len]
    if long:
        raise BadRequest(f"class name too long: {len(long[0])} characters (at most {max_name_len})")
    return entries


def parse_background(value: str, max_name_len: int) -> Optional[str]:
    """``''``/``0``/``false`` -> None; ``1``/``true``/``on`` -> ``'background'``; else the name."""
    v = (value or "").strip()
    if v.lower() in _FALSE:
        return None
    if v.lower() in _TRUE:
        return "background"
    if len(v) > max_name_len or ";" in v or "," in v:
        raise BadRequest(f"background must be one class name of at most {max_name_len} characters")
    return v


def parse_prob_thd(value: str, background: Optional[str]) -> Optional[float]:
    """Empty -> None (model default); else a number in [0, 1] (needs a background class)."""
    v = (value or "").strip()
    if not v:
        return None
    try:
        x = float(v)
    except ValueError:
        raise BadRequest(f"prob_thd must be a number in [0, 1], got {v[:20]!r}") from None
    if not 0.0 <= x <= 1.0:
        raise BadRequest(f"prob_thd must be in [0, 1], got {x:g}")
    if x > 0 and not background:
        raise BadRequest("prob_thd needs a background class: also send background=1")
    return x
