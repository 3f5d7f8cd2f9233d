"""MaskCLIP+ glue: a frozen teacher's predictions as MMSeg pseudo-labels for training a student.

Data path (``tools/make_pseudo_labels.py`` then ``tools/train.py``)::

    teacher config (any MMSeg segmentor: proxyseg's training-free ProxyCLIPSegmentor, or a trained
    student + checkpoint for the self-training round)
      -> teacher_dataset_cfg(): the config's test dataset on the *training* images
         (``pseudo_labels.data_prefix``), test pipeline minus ``LoadAnnotations``
      -> Teacher.predict_batch(): ``test_step`` -> class probabilities (K, H, W) + mask (H, W)
         at the original image size
      -> to_pseudo_label(): label = the teacher's mask, confidence = its probability;
         confidence < thd -> 255 (MMSeg's ignore index)
      -> <out>/<image name><seg_map_suffix>  (uint8 PNG, MMSeg label format)
         <out>/<image name><seg_map_suffix minus .png>_conf.png  (uint8, round(255 * conf)) or .npy
         <out>/labelled.txt (image names with a label: the student's ``ann_file``),
         <out>/stats.jsonl (per image), <out>/summary.json, <out>/manifest.json (settings)

    student config: COCOStuffDataset / COCOObjectDataset with
      ``data_prefix.seg_map_path = <out>``, ``ann_file = <out>/labelled.txt``; optional
      ``PseudoLabelConfidenceThreshold`` after ``LoadAnnotations`` raises the threshold at training
      time; the loss ignores 255.

On-the-fly alternative: the ``TeacherPseudoLabel`` transform runs the teacher inside the data
pipeline (in place of ``LoadAnnotations``); slow (one teacher forward per training sample), meant for
small experiments. Caching is the main path.
"""
from __future__ import annotations

import copy
import json
import os
import os.path as osp
import time
from collections import Counter
from contextlib import contextmanager
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ..errors import CheckpointError, ConfigError, DatasetError, UsageError
from .config import resolve_repo_path

IGNORE_INDEX = 255
LIST_FILE = "labelled.txt"
STATS_FILE = "stats.jsonl"
SUMMARY_FILE = "summary.json"
MANIFEST_FILE = "manifest.json"
CONF_FORMATS = ("png", "npy", "none")

#: defaults of a config's ``pseudo_labels`` section (see configs/maskclip_plus/_base_/teacher.py)
DEFAULT_SETTINGS = dict(
    data_prefix=dict(img_path="images/train2017"),  # the training images, relative to data_root
    ann_file="",  # optional split file (names without suffix) restricting the images; "" = all
    out_dir=None,  # relative to data_root (like data_prefix.seg_map_path); required
    thd=0.0,  # confidence below thd -> 255 (ignored by the student's loss)
    conf_format="png",  # png (uint8, 1/255 steps) | npy (float16) | none
    checkpoint=None,  # teacher weights (a trained student); default: the config's load_from
    batch_size=1,
    num_workers=2,
)


# ---- settings -----------------------------------------------------------------------------------
def pseudo_label_settings(cfg) -> dict:
    """The config's ``pseudo_labels`` section over :data:`DEFAULT_SETTINGS`."""
    s = copy.deepcopy(DEFAULT_SETTINGS)
    user = cfg.get("pseudo_labels") or {}
    unknown = sorted(set(user) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ConfigError(f"unknown pseudo_labels keys {unknown}; valid: {', '.join(DEFAULT_SETTINGS)}")
    s.update({k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in dict(user).items()})
    if s["conf_format"] not in CONF_FORMATS:
        raise ConfigError(f"pseudo_labels.conf_format={s['conf_format']!r}; valid: {', '.join(CONF_FORMATS)}")
    _check_thd(s["thd"])
    return s


def _check_thd(thd) -> float:
    try:
        thd = float(thd)
    except (TypeError, ValueError):
        raise ConfigError(f"confidence threshold must be a number in [0, 1], got {thd!r}") from None
    if not 0.0 <= thd <= 1.0:
        raise ConfigError(f"confidence threshold {thd} is outside [0, 1]")
    return thd


def conf_path_for(label_path: str, conf_format: str = "png") -> str:
    """``.../x_labelTrainIds.png`` -> ``.../x_labelTrainIds_conf.png`` (or ``_conf.npy``)."""
    return osp.splitext(label_path)[0] + f"_conf.{conf_format}"


def teacher_dataset_cfg(cfg, settings: dict, out_dir: str) -> dict:
    """The config's test dataset re-pointed at the training images, labels going to ``out_dir``.

    The test pipeline is kept (the teacher sees images as it does when evaluated) minus
    ``LoadAnnotations`` (training images need no ground truth); ``seg_map_path`` = ``out_dir`` so
    each sample's ``seg_map_path`` is the label file to write, named with the dataset's suffix.
    """
    loader = cfg.get("test_dataloader")
    if not loader or not loader.get("dataset"):
        raise ConfigError("the teacher config has no test_dataloader.dataset: inherit a dataset base "
                          "(configs/_base_/datasets/*.py)")
    ds = copy.deepcopy(loader["dataset"])
    ds = ds.to_dict() if hasattr(ds, "to_dict") else dict(ds)
    prefix = dict(settings["data_prefix"])
    prefix["seg_map_path"] = out_dir
    ds["data_prefix"] = prefix
    for key in ("ann_file", "indices"):
        ds.pop(key, None)
    if settings.get("ann_file"):
        ds["ann_file"] = settings["ann_file"]
    ds["pipeline"] = [t for t in ds.get("pipeline", []) if t.get("type") not in ("LoadAnnotations",)]
    ds["serialize_data"] = False
    return ds


# ---- checkpoints --------------------------------------------------------------------------------
@contextmanager
def trusted_local_checkpoints():
    """Load *local* mmengine checkpoints with ``torch.load(weights_only=False)`` inside the block.

    Training checkpoints (``iter_N.pth``) hold the message hub (``HistoryBuffer``, numpy scalars
    and dtypes), which torch >= 2.6's ``weights_only=True`` default refuses, so mmengine 0.10.x
    cannot resume from or load its own checkpoints. Use only for files the user names (resume,
    ``load_from``, a teacher ``--checkpoint``); remote URLs (pretrained backbones) keep the default.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    original = CheckpointLoader._schemes.get("")

    def load_from_local(filename, map_location):
        filename = osp.expanduser(filename)
        if not osp.isfile(filename):
            raise FileNotFoundError(f"{filename} can not be found.")
        return torch.load(filename, map_location=map_location, weights_only=False)

    CheckpointLoader._schemes[""] = load_from_local
    try:
        yield
    finally:
        if original is not None:
            CheckpointLoader._schemes[""] = original


# ---- teacher ------------------------------------------------------------------------------------
def to_pseudo_label(probs: torch.Tensor, mask: torch.Tensor, thd: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """Teacher output -> ``(label uint8 (H, W), confidence float32 (H, W))``.

    ``probs``: ``(K, H, W)`` class probabilities; ``mask``: ``(H, W)`` the teacher's prediction
    (for proxyseg teachers it already has ``prob_thd``'s background rule applied). Confidence is the
    probability of the predicted class; where the background rule overrode the argmax (the teacher
    found no class probable enough) it is ``1 - max prob``. Pixels with confidence ``< thd`` get 255.
    """
    probs = probs.float()
    mask = mask.long().reshape(probs.shape[1:])
    if probs.shape[0] > IGNORE_INDEX:
        raise ConfigError(f"{probs.shape[0]} classes do not fit uint8 labels with ignore index {IGNORE_INDEX}")
    best, argmax = probs.max(dim=0)
    conf = probs.gather(0, mask[None].clamp(0, probs.shape[0] - 1))[0]
    conf = torch.where(mask == argmax, conf, 1.0 - best)
    label = mask.clone()
    label[conf < thd] = IGNORE_INDEX
    return label.to(torch.uint8).cpu().numpy(), conf.clamp(0, 1).cpu().numpy().astype(np.float32)


class Teacher:
    """A frozen segmentor whose predictions become pseudo-labels.

    Call graph::

        predict_batch(data_batch)         # a collated batch from the teacher's test pipeline
          model.test_step() -> seg_logits, pred_sem_seg per image (original size)
          -> probabilities: ProxyCLIPSegmentor's seg_logits already are; others: softmax
        predict_image(img)                # on-the-fly: runs the test pipeline on an array first

    Args:
        model: any MMSeg ``BaseSegmentor`` (eval mode is set here; weights are never updated).
        pipeline (list[dict]): test transforms *after* ``LoadImageFromFile`` (for ``predict_image``).
    """

    def __init__(self, model, pipeline: Sequence[dict] = ()):
        from mmengine.dataset import Compose

        self.model = model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.pipeline = Compose([t for t in pipeline if t.get("type") not in ("LoadImageFromFile", "LoadAnnotations")])
        from .segmentor import ProxyCLIPSegmentor

        self.outputs_probs = isinstance(model, ProxyCLIPSegmentor)

    @classmethod
    def from_config(cls, cfg, checkpoint: Optional[str] = None, device: str = "cpu") -> "Teacher":
        """Build the config's ``model`` (+ ``checkpoint``, default ``pseudo_labels.checkpoint`` or
        ``load_from``) on ``device``; a trainable segmentor without weights is an error."""
        from mmengine.model import revert_sync_batchnorm
        from mmengine.registry import init_default_scope
        from mmengine.runner import load_checkpoint
        from mmseg.registry import MODELS

        from . import segmentor  # noqa: F401  (registers ProxyCLIPSegmentor)
        from .segmentor import ProxyCLIPSegmentor

        init_default_scope("mmseg")
        model_cfg = copy.deepcopy(cfg.model)
        resolve_repo_path(model_cfg, "name_path")
        if checkpoint is None:
            checkpoint = (cfg.get("pseudo_labels") or {}).get("checkpoint") or cfg.get("load_from")
        model = MODELS.build(model_cfg)
        if checkpoint:
            if not osp.isfile(checkpoint):
                raise CheckpointError(f"teacher checkpoint {checkpoint} not found; train the student first "
                                      f"(tools/train.py) or pass --checkpoint PATH")
            with trusted_local_checkpoints():
                load_checkpoint(model, checkpoint, map_location="cpu", revise_keys=[(r"^module\.", "")])
        elif not isinstance(model, ProxyCLIPSegmentor):
            raise CheckpointError(f"teacher {model_cfg.get('type')} is a trainable segmentor without weights: "
                                  f"pass --checkpoint work_dirs/<student>/iter_N.pth (or set load_from)")
        model = revert_sync_batchnorm(model).to(device)
        pipeline = cfg.test_dataloader.dataset.get("pipeline", []) if cfg.get("test_dataloader") else []
        teacher = cls(model, [dict(t) for t in pipeline])
        teacher.checkpoint = checkpoint
        return teacher

    @torch.no_grad()
    def predict_batch(self, data_batch: dict) -> List[Tuple[torch.Tensor, torch.Tensor, dict]]:
        """``[(probs (K, H, W), mask (H, W), metainfo)]`` at each image's original size."""
        samples = self.model.test_step(data_batch)
        out = []
        for s in samples:
            logits = s.seg_logits.data.float()
            if self.outputs_probs:
                probs = logits
            elif logits.shape[0] == 1:
                raise ConfigError("single-channel (sigmoid) teachers are not supported as pseudo-labellers")
            else:
                probs = logits.softmax(dim=0)
            out.append((probs, s.pred_sem_seg.data[0], s.metainfo))
        return out

    def predict_image(self, img: np.ndarray, img_path: Optional[str] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(H, W, 3)`` BGR uint8 (as ``LoadImageFromFile`` gives) -> ``(probs, mask)`` at (H, W)."""
        from mmengine.dataset import pseudo_collate

        h, w = img.shape[:2]
        data = self.pipeline(dict(img=img, img_path=img_path, img_shape=(h, w), ori_shape=(h, w), seg_fields=[]))
        probs, mask, _ = self.predict_batch(pseudo_collate([data]))[0]
        return probs, mask


# ---- files --------------------------------------------------------------------------------------
def _atomic_save(path: str, save) -> None:
    """Write via a temp name + ``os.replace``: an interrupted run never leaves a half file."""
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        save(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.unlink(tmp)


def write_png(path: str, array: np.ndarray) -> None:
    from PIL import Image

    os.makedirs(osp.dirname(path) or ".", exist_ok=True)
    _atomic_save(path, lambda p: Image.fromarray(array.astype(np.uint8), mode="L").save(p, format="PNG"))


def write_confidence(path: str, conf: np.ndarray, conf_format: str) -> None:
    if conf_format == "png":
        write_png(path, np.rint(conf * 255).astype(np.uint8))
    elif conf_format == "npy":
        os.makedirs(osp.dirname(path) or ".", exist_ok=True)

        def save(p):
            with open(p, "wb") as f:
                np.save(f, conf.astype(np.float16))

        _atomic_save(path, save)


def read_confidence(path: str) -> np.ndarray:
    """Confidence map in [0, 1] from a ``_conf.png`` (uint8 / 255) or ``_conf.npy`` file."""
    if path.endswith(".npy"):
        return np.load(path).astype(np.float32)
    from PIL import Image

    return np.asarray(Image.open(path), dtype=np.float32) / 255.0


def label_stats(label: np.ndarray, conf: np.ndarray, num_classes: int) -> dict:
    hist = np.bincount(label[label != IGNORE_INDEX].ravel(), minlength=num_classes)
    return dict(pixels=int(label.size), ignored=int((label == IGNORE_INDEX).sum()), conf_sum=float(conf.sum()),
                hist={int(k): int(v) for k, v in enumerate(hist) if v})


def _image_name(img_path: str, img_dir: str, img_suffix: str) -> str:
    rel = osp.relpath(img_path, img_dir)
    return rel[: -len(img_suffix)] if img_suffix and rel.endswith(img_suffix) else osp.splitext(rel)[0]


# ---- the whole pass -----------------------------------------------------------------------------
def make_pseudo_labels(cfg, *, out_dir: Optional[str] = None, thd: Optional[float] = None,
                       conf_format: Optional[str] = None, checkpoint: Optional[str] = None, device: str = "cpu",
                       limit: Optional[int] = None, force: bool = False, num_workers: Optional[int] = None,
                       batch_size: Optional[int] = None, progress: bool = True, config_path: str = "",
                       teacher: Optional[Teacher] = None) -> dict:
    """Label the config's training images with its model; returns (and writes) the summary.

    Args:
        cfg: an mmengine ``Config`` with ``model``, ``test_dataloader`` and ``pseudo_labels``.
        out_dir: output folder (absolute, or relative to the CWD); default ``pseudo_labels.out_dir``
            relative to the dataset's ``data_root``.
        thd, conf_format, checkpoint, num_workers, batch_size: override ``pseudo_labels.*``.
        limit: only the first N training images. force: recompute existing labels.
        teacher: a ready :class:`Teacher` (tests); default built from ``cfg``.

    Resumable: an image whose label (and confidence) file exists is skipped; the settings of the
    first run (teacher, threshold, confidence format) are kept in ``manifest.json`` and a rerun with
    different ones is refused unless ``force``.
    """
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS

    import proxyseg.mmseg  # noqa: F401  (datasets, transforms)

    init_default_scope("mmseg")
    s = pseudo_label_settings(cfg)
    if thd is not None:
        s["thd"] = _check_thd(thd)
    if conf_format is not None:
        if conf_format not in CONF_FORMATS:
            raise UsageError(f"--conf {conf_format!r}; valid: {', '.join(CONF_FORMATS)}")
        s["conf_format"] = conf_format
    if checkpoint is not None:
        s["checkpoint"] = checkpoint
    if num_workers is not None:
        s["num_workers"] = num_workers
    if batch_size is not None:
        s["batch_size"] = batch_size
    data_root = cfg.test_dataloader.dataset.get("data_root", "") if cfg.get("test_dataloader") else ""
    if out_dir is None:
        if not s["out_dir"]:
            raise ConfigError("no output folder: set pseudo_labels.out_dir in the config or pass --out DIR")
        out_dir = osp.join(data_root or "", s["out_dir"])
    out_dir = osp.abspath(out_dir)
    ds_cfg = teacher_dataset_cfg(cfg, s, out_dir)
    img_dir = osp.join(data_root or "", s["data_prefix"]["img_path"])
    if not osp.isdir(img_dir):
        raise DatasetError(f"training images not found at {img_dir} (data_root {data_root!r} + "
                           f"pseudo_labels.data_prefix.img_path); pass --data-root or fix the config")
    dataset = DATASETS.build(ds_cfg)
    n_total = len(dataset)
    if n_total == 0:
        raise DatasetError(f"no training images with suffix {getattr(dataset, 'img_suffix', '?')} in {img_dir}")
    indices = list(range(n_total if limit is None else min(limit, n_total)))
    classes = list(dataset.metainfo.get("classes") or [])
    img_suffix = getattr(dataset, "img_suffix", "")

    # manifest: refuse to mix labels made with other settings into one folder
    os.makedirs(out_dir, exist_ok=True)
    manifest = dict(config=config_path, model=_describe_model(cfg.model),
                    checkpoint=s["checkpoint"] or cfg.get("load_from"),
                    thd=s["thd"], conf_format=s["conf_format"], dataset=ds_cfg.get("type"),
                    img_dir=osp.abspath(img_dir), label_suffix=getattr(dataset, "seg_map_suffix", None),
                    ignore_index=IGNORE_INDEX, num_classes=len(classes))
    man_path = osp.join(out_dir, MANIFEST_FILE)
    if osp.isfile(man_path) and not force:
        with open(man_path) as f:
            old = json.load(f)
        diff = {k: (old.get(k), v) for k, v in manifest.items() if k in ("model", "checkpoint", "thd", "conf_format",
                                                                         "dataset", "num_classes") and old.get(k) != v}
        if diff:
            detail = "; ".join(f"{k}: {a!r} there, {b!r} now" for k, (a, b) in diff.items())
            raise UsageError(f"{out_dir} holds pseudo-labels made with other settings ({detail}); "
                             f"pass --force to remake them or --out another folder")
    from ..results import atomic_write_json

    atomic_write_json(man_path, manifest)

    def files_of(i):
        label = dataset.get_data_info(i)["seg_map_path"]
        conf = conf_path_for(label, s["conf_format"]) if s["conf_format"] != "none" else None
        return label, conf

    stats = _load_stats(out_dir) if not force else {}
    if force and osp.isfile(osp.join(out_dir, STATS_FILE)):
        os.unlink(osp.join(out_dir, STATS_FILE))
    pending = []
    for i in indices:
        label, conf = files_of(i)
        if force or not osp.isfile(label) or (conf and not osp.isfile(conf)):
            pending.append(i)

    t0 = time.time()
    if pending:
        if teacher is None:
            teacher = Teacher.from_config(cfg, checkpoint=s["checkpoint"], device=device)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.Subset(dataset, pending), batch_size=max(int(s["batch_size"]), 1), shuffle=False,
            num_workers=int(s["num_workers"]), collate_fn=pseudo_collate)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(pending), desc="pseudo-labels", unit="img", dynamic_ncols=True)
        with open(osp.join(out_dir, STATS_FILE), "a") as stats_f:
            for batch in loader:
                for probs, mask, meta in teacher.predict_batch(batch):
                    label, conf = to_pseudo_label(probs, mask, s["thd"])
                    label_path = meta["seg_map_path"]
                    name = _image_name(meta["img_path"], img_dir, img_suffix)
                    if s["conf_format"] != "none":  # confidence first: the label marks the image done
                        write_confidence(conf_path_for(label_path, s["conf_format"]), conf, s["conf_format"])
                    write_png(label_path, label)
                    st = label_stats(label, conf, probs.shape[0])
                    stats[name] = st
                    stats_f.write(json.dumps(dict(name=name, **st)) + "\n")
                    stats_f.flush()
                    if bar is not None:
                        bar.update(1)
        if bar is not None:
            bar.close()
    seconds = time.time() - t0

    # list of labelled images (the student's ann_file) and the summary over all of them
    names = []
    for i in indices:
        label, _ = files_of(i)
        name = _image_name(dataset.get_data_info(i)["img_path"], img_dir, img_suffix)
        names.append(name)
        if name not in stats:  # labelled by a run whose stats line was lost: read the file
            from PIL import Image

            lab = np.asarray(Image.open(label))
            cp = conf_path_for(label, s["conf_format"]) if s["conf_format"] != "none" else None
            conf = read_confidence(cp) if cp and osp.isfile(cp) else np.zeros(lab.shape, np.float32)
            stats[name] = label_stats(lab, conf, len(classes))
    if osp.isfile(osp.join(out_dir, LIST_FILE)):  # keep names labelled by earlier (larger) runs
        with open(osp.join(out_dir, LIST_FILE)) as f:
            earlier = [ln.strip() for ln in f if ln.strip()]
        names = sorted(set(names) | {n for n in earlier if osp.isfile(_label_of(out_dir, n, manifest))})
    from ..results import atomic_write_text

    atomic_write_text(osp.join(out_dir, LIST_FILE), "".join(n + "\n" for n in sorted(names)))
    summary = _summary(stats, names, classes, manifest, out_dir, written=len(pending),
                       skipped=len(indices) - len(pending), seconds=seconds)
    atomic_write_json(osp.join(out_dir, SUMMARY_FILE), summary)
    return summary


def _label_of(out_dir: str, name: str, manifest: dict) -> str:
    return osp.join(out_dir, name + (manifest.get("label_suffix") or ".png"))


def _load_stats(out_dir: str) -> Dict[str, dict]:
    stats = {}
    path = osp.join(out_dir, STATS_FILE)
    if osp.isfile(path):
        with open(path) as f:
            for line in f:
                try:
                    d = json.loads(line)
                except json.JSONDecodeError:  # a line cut by an interrupted run
                    continue
                d["hist"] = {int(k): v for k, v in d.get("hist", {}).items()}
                stats[d.pop("name")] = d
    return stats


def _summary(stats: Dict[str, dict], names: Iterable[str], classes: List[str], manifest: dict, out_dir: str,
             written: int, skipped: int, seconds: float) -> dict:
    names = list(names)
    pixels = sum(stats[n]["pixels"] for n in names if n in stats)
    ignored = sum(stats[n]["ignored"] for n in names if n in stats)
    conf_sum = sum(stats[n]["conf_sum"] for n in names if n in stats)
    hist = Counter()
    for n in names:
        if n in stats:
            hist.update(stats[n]["hist"])
    label = (lambda k: classes[k] if k < len(classes) else str(k))
    return dict(
        out_dir=out_dir, images=len(names), written=written, skipped=skipped, seconds=round(seconds, 2),
        pixels=pixels, ignored_fraction=round(ignored / pixels, 6) if pixels else None,
        mean_confidence=round(conf_sum / pixels, 6) if pixels else None,
        class_histogram={label(k): int(v) for k, v in sorted(hist.items())},
        **{k: manifest[k] for k in ("config", "model", "checkpoint", "thd", "conf_format", "dataset", "label_suffix",
                                    "ignore_index")},
    )


def _describe_model(model_cfg) -> str:
    t = model_cfg.get("type", "?")
    if t == "ProxyCLIPSegmentor":
        from ..results import describe_model

        d = describe_model(model_cfg)
        return f"{d['method']}:{d['clip']}" + (f"+{d['vfm']}" if d["vfm"] != "-" else "")
    bb = model_cfg.get("backbone") or {}
    head = model_cfg.get("decode_head") or {}
    return f"{t}:{bb.get('type')}{bb.get('depth', '')}+{head.get('type')}"


# ---- transforms ---------------------------------------------------------------------------------

@TRANSFORMS.register_module(force=True)
class PseudoLabelConfidenceThreshold(BaseTransform):
    """Training-time threshold: after ``LoadAnnotations``, pixels whose stored confidence is below
    ``thd`` become ``ignore_index``. Reads ``<label>_conf.png`` (or ``.npy``) next to each label, so
    the labels must have been made with confidences (``--conf png|npy``). Only raises the threshold
    used when the labels were made (those pixels are 255 already).

    Args:
        thd (float): in [0, 1]. conf_format (str): ``png`` | ``npy``. ignore_index (int): 255.
    """

    def __init__(self, thd: float, conf_format: str = "png", ignore_index: int = IGNORE_INDEX):
        self.thd = _check_thd(thd)
        if conf_format not in ("png", "npy"):
            raise ConfigError(f"conf_format must be png or npy, got {conf_format!r}")
        self.conf_format = conf_format
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        if "gt_seg_map" not in results:
            raise ConfigError("PseudoLabelConfidenceThreshold must come after LoadAnnotations in the pipeline")
        path = conf_path_for(results["seg_map_path"], self.conf_format)
        if not osp.isfile(path):
            raise DatasetError(f"confidence map {path} not found: make the pseudo-labels with --conf "
                               f"{self.conf_format}, or drop PseudoLabelConfidenceThreshold from the pipeline")
        conf = read_confidence(path)
        seg = results["gt_seg_map"]
        if conf.shape != seg.shape:
            raise DatasetError(f"confidence map {path} is {conf.shape}, label is {seg.shape}")
        seg = seg.copy()
        seg[conf < self.thd] = self.ignore_index
        results["gt_seg_map"] = seg
        return results

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(thd={self.thd}, conf_format={self.conf_format!r})"


@TRANSFORMS.register_module(force=True)
class TeacherPseudoLabel(BaseTransform):
    """On-the-fly pseudo-labels: runs a teacher on the loaded image and stores its labels as
    ``gt_seg_map`` (use in place of ``LoadAnnotations``, right after ``LoadImageFromFile``).

    The teacher is built lazily in each dataloader worker from ``config`` (a teacher config, e.g.
    ``configs/maskclip_plus/teacher_maskclip_vit-b16_coco-stuff164k.py``). One teacher forward per
    sample makes this much slower than cached labels (``tools/make_pseudo_labels.py``); with a CUDA
    ``device`` use ``num_workers=0`` (CUDA cannot run in forked workers).

    Args:
        config (str): teacher config file. checkpoint (str, optional): teacher weights.
        thd (float): confidence threshold (below -> 255). device (str): where the teacher runs.
        cfg_options (dict, optional): overrides merged into the teacher config.
    """

    def __init__(self, config: str, checkpoint: Optional[str] = None, thd: float = 0.0, device: str = "cpu",
                 cfg_options: Optional[dict] = None):
        self.config, self.checkpoint, self.device = config, checkpoint, device
        self.thd = _check_thd(thd)
        self.cfg_options = cfg_options
        self._teacher = None

    @property
    def teacher(self) -> Teacher:
        if self._teacher is None:
            from mmengine.config import Config

            from ..cli import REPO_ROOT

            path = self.config if osp.isfile(self.config) else str(REPO_ROOT / self.config)
            cfg = Config.fromfile(path)
            if self.cfg_options:
                cfg.merge_from_dict(self.cfg_options)
            self._teacher = Teacher.from_config(cfg, checkpoint=self.checkpoint, device=self.device)
        return self._teacher

    def transform(self, results: dict) -> dict:
        probs, mask = self.teacher.predict_image(results["img"], results.get("img_path"))
        label, _ = to_pseudo_label(probs, mask, self.thd)
        results["gt_seg_map"] = label
        results.setdefault("seg_fields", []).append("gt_seg_map")
        return results

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(config={self.config!r}, thd={self.thd})"
