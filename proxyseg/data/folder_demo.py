"""A small demo folder in the layout of :mod:`proxyseg.data.folder` (tools/make_folder_demo.py).

Four classes (sky, grass; lawn, road, car) stored with non-contiguous raw ids 10/20/30/40 and 255
unlabeled, mapped by ``id_map.json``; one label is a 16-bit TIFF, the rest 8-bit PNG; with
``broken=True`` one pair is deliberately broken (its label is smaller than its image).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Union

import numpy as np

CLASSES = ["sky", "grass; lawn", "road", "car"]
RAW_IDS = [10, 20, 30, 40]
COLOURS = [(110, 160, 230), (60, 160, 60), (90, 90, 90), (200, 30, 30)]
ID_MAP: Dict[str, Union[int, str]] = {**{str(r): i for i, r in enumerate(RAW_IDS)}, "255": "ignore"}
BROKEN = "scene_9_broken"


def _scene(rng: np.random.Generator, h: int, w: int):
    lab = np.full((h, w), RAW_IDS[0], np.uint16)
    horizon = int(rng.integers(h // 3, h // 2))
    lab[horizon:] = RAW_IDS[1]
    r0 = int(rng.integers(w // 4, w // 2))
    lab[horizon:, r0:r0 + w // 4] = RAW_IDS[2]
    cy, cx = int(rng.integers(horizon, h - h // 6)), int(rng.integers(0, w - w // 4))
    lab[cy:cy + h // 8, cx:cx + w // 4] = RAW_IDS[3]
    lab[:2, :] = 255  # an unlabeled border strip
    img = np.zeros((h, w, 3), np.uint8)
    for r, c in zip(RAW_IDS, COLOURS):
        img[lab == r] = c
    img[lab == 255] = COLOURS[0]
    img = np.clip(img.astype(np.int16) + rng.integers(-12, 13, img.shape), 0, 255).astype(np.uint8)
    return img, lab


def make_folder_demo(out: Union[str, Path], num: int = 4, seed: int = 0, broken: bool = True,
                     size=(48, 64)) -> List[str]:
    """Write ``out/{images,labels}``, ``classes.txt`` and ``id_map.json``; returns the stems."""
    from PIL import Image

    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    (out / "classes.txt").write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    (out / "id_map.json").write_text(json.dumps(ID_MAP, indent=1) + "\n", encoding="utf-8")
    rng = np.random.default_rng(seed)
    h, w = size
    stems = []
    for i in range(num):
        stem = f"scene_{i}"
        img, lab = _scene(rng, h, w)
        Image.fromarray(img).save(out / "images" / f"{stem}.png")
        if i == 1:  # a 16-bit TIFF label
            Image.fromarray(lab.astype(np.uint16)).save(out / "labels" / f"{stem}.tif")
        else:
            Image.fromarray(lab.astype(np.uint8)).save(out / "labels" / f"{stem}.png")
        stems.append(stem)
    if broken:
        img, lab = _scene(rng, h, w)
        Image.fromarray(img).save(out / "images" / f"{BROKEN}.jpg")
        Image.fromarray(lab[: h // 2, : w // 2].astype(np.uint8)).save(out / "labels" / f"{BROKEN}.png")
        stems.append(BROKEN)
    return stems
