"""Compare mode of the web page: one upload, 2 to 4 methods side by side, one legend.

Routes (added to the app of :func:`proxyseg.web.create_app`)::

    GET  /compare       the page (templates/compare.html + static/compare.js)
    POST /api/compare   multipart: image, classes, background, prob_thd, methods -> JSON

The upload goes through the same checks as ``/api/segment`` (request size cap, pixel cap before
decoding, class-list caps, same-origin POSTs, security headers); ``methods`` must be 2 to 4
distinct specs among those the server offers (``compare_methods``), so a request never makes the
server load a model it was not started with.
"""
from __future__ import annotations

import io
import time
from typing import List, Optional, Sequence

import numpy as np
from flask import Flask, jsonify, render_template, request
from PIL import Image

from ..apis import visualize as V
from ..apis.compare import panels_of, parse_specs
from ..apis.image_io import ImageTooLargeError, load_image, resize_max_side, safe_stem
from ..errors import ImageError, ProxySegError, UsageError

MIN_METHODS, MAX_METHODS = 2, 4


def default_methods(segmenter) -> List[str]:
    """Every registered method the config can run (its own VFM), then the config's method ``+fa``."""
    from ..methods import method_names

    panels = panels_of(segmenter)
    out = []
    for spec in parse_specs(method_names()):
        try:
            panels.check(spec)
        except ProxySegError:
            continue  # e.g. a method that needs a VFM in a config without one
        out.append(spec.text)
    own = segmenter.model.method.name
    return sorted(out, key=lambda s: (s != own, s)) + [f"{own}+fa"]


def add_compare_routes(app: Flask, segmenter, *, methods: Optional[Sequence[str]], limits: dict, max_classes: int,
                       max_name_len: int, max_pixels: Optional[int], max_side: Optional[int],
                       preview_side: int = 768, admit=None) -> List[str]:
    """Register ``/compare`` and ``/api/compare``; returns the offered method specs.

    Args:
        methods: specs offered on the page (``None``: :func:`default_methods`); every one is
            checked now (grammar, weights), so a bad list fails at start-up; the panels' models are
            built on first use and kept (CLIP, text cache and the config's VFM are shared).
        admit: a context manager factory taken around each request (the app's bounded admission
            queue, shared with ``/api/segment``: 503 when full).
    """
    from .app import BadRequest, data_uri, parse_background, parse_classes, parse_prob_thd

    offered = [s.text for s in parse_specs(methods if methods is not None else default_methods(segmenter),
                                           min_count=MIN_METHODS)]
    panels = panels_of(segmenter)
    for spec in parse_specs(offered):
        panels.check(spec)  # grammar and weights now; the models are built on the first request

    @app.get("/compare")
    def compare_page():
        return render_template("compare.html", limits=limits, model=segmenter.name, device=str(segmenter.device),
                               prob_thd=segmenter.default_prob_thd or 0.25, methods=offered,
                               min_methods=MIN_METHODS, max_methods=MAX_METHODS)

    @app.post("/api/compare")
    def api_compare():
        if admit is None:
            return _compare_upload()
        with admit():
            return _compare_upload()

    def _compare_upload():
        upload = request.files.get("image")
        if upload is None:
            raise BadRequest("no image uploaded: send it as the multipart field 'image'")
        stem = safe_stem(upload.filename)
        data = upload.read()
        classes = parse_classes(request.form.get("classes", ""), max_classes, max_name_len)
        background = parse_background(request.form.get("background", ""), max_name_len)
        prob_thd = parse_prob_thd(request.form.get("prob_thd", ""), background)
        specs = parse_methods(request.form.getlist("methods"), offered)
        label = f"'{stem}'" if upload.filename else "the upload"
        t0 = time.time()
        try:
            pixels = load_image(data, max_pixels=max_pixels, name=label)  # pixel cap checked before decoding
            results = segmenter.compare(pixels, specs, classes, background=background, prob_thd=prob_thd,
                                        max_side=max_side, name=label, keep_probs=False)
        except ImageTooLargeError as e:
            raise BadRequest(str(e), 413) from None
        except (ImageError, UsageError) as e:
            raise BadRequest(str(e), 400) from None
        except ProxySegError as e:
            raise BadRequest(str(e), 500) from None
        first = next(iter(results.values()))
        image = resize_max_side(first.image, preview_side)
        jpeg = io.BytesIO()
        Image.fromarray(image).save(jpeg, format="JPEG", quality=88)
        panels = []
        for spec, res in results.items():
            mask = res.mask
            if image.shape[:2] != mask.shape:
                mask = np.asarray(Image.fromarray(mask.astype(np.int32)).resize(image.shape[1::-1],
                                                                                Image.Resampling.NEAREST))
            panels.append(dict(method=spec, seconds=res.meta["seconds"], vfm=res.meta["vfm"],
                               shares={k: round(v, 6) for k, v in res.shares().items()},
                               overlay_png=data_uri(V.png_bytes(V.overlay(image, mask, res.colors), compress_level=3),
                                                    "image/png")))
        shares = {p["method"]: p["shares"] for p in panels}
        h, w = first.size
        return jsonify(
            name=stem, width=w, height=h, classes=list(first.classes), background=first.background,
            prob_thd=first.prob_thd, config=segmenter.name, seconds=round(time.time() - t0, 3),
            methods=list(results),
            legend=[dict(name=n, color=V.hex_color(c), shares={m: s.get(n, 0.0) for m, s in shares.items()})
                    for n, c in zip(first.classes, first.colors)],
            image_jpeg=data_uri(jpeg.getvalue(), "image/jpeg"), panels=panels)

    def parse_methods(values: List[str], offered_specs: List[str]) -> List[str]:
        items = [m.strip() for v in values for m in v.split(",") if m.strip()]
        if not MIN_METHODS <= len(items) <= MAX_METHODS:
            raise BadRequest(f"choose {MIN_METHODS} to {MAX_METHODS} methods to compare (got {len(items)}); "
                             f"offered: {', '.join(offered_specs)}")
        unknown = [m for m in items if m not in offered_specs]
        if unknown:
            raise BadRequest(f"method {unknown[0][:40]!r} is not offered by this server; choose from: "
                             f"{', '.join(offered_specs)}")
        if len(set(items)) != len(items):
            raise BadRequest("each method can be chosen once")
        return items

    return offered
