"""The evaluation's part for ``FolderSegDataset`` (your own data): class file rule, layout check and
the per-file preflight (proxyseg/data/folder.py), called from :mod:`.evaluation`.

Class file rule: ``model.name_path`` if set (other than the configs' placeholder
``configs/_base_/class_names/folder_placeholder.txt``), else the dataset's ``class_file``, else
``<data_root>/classes.txt``; the model and the dataset then use the same file. The evaluator's
``ignore_index`` follows the dataset's.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Tuple

from ..errors import DatasetError
from .usage import REPO_ROOT

#: The folder configs' model.name_path (so that a plain mmseg Runner can build the model): means "not set".
PLACEHOLDER = "folder_placeholder.txt"


def _root(ds) -> Path:
    root = Path(ds.get("data_root") or "")
    if not root.exists() and not root.is_absolute() and (REPO_ROOT / root).exists():
        root = REPO_ROOT / root
    return root


def resolve_folder_cfg(cfg) -> None:
    ds = cfg.test_dataloader.dataset
    root = _root(ds)
    ds.data_root = str(root)
    m = cfg.model
    trained = m.get("type") != "ProxyCLIPSegmentor"
    name_path = None if trained else m.get("name_path")
    if name_path and Path(name_path).name == PLACEHOLDER:  # the configs' stand-in: not a choice of the user
        name_path = None
    if name_path and not Path(name_path).is_file() and (REPO_ROOT / name_path).is_file():
        name_path = str(REPO_ROOT / name_path)
    class_file = name_path or ds.get("class_file") or str(root / "classes.txt")
    ds.class_file = str(class_file)
    if not trained:
        m.name_path = str(class_file)
    ev = cfg.get("test_evaluator")
    if ev is not None and ev.get("type") in ("IoUMetric", "ProxySegIoUMetric"):
        ev.ignore_index = int(ds.get("ignore_index", 255))


def _layout(ds):
    from ..data.folder import IMG_SUFFIXES, SEG_SUFFIXES, FolderLayout

    prefix = ds.get("data_prefix") or {}
    return FolderLayout(_root(ds), prefix.get("img_path", "images"), prefix.get("seg_map_path", "labels"),
                        ds.get("img_suffix", IMG_SUFFIXES), ds.get("seg_map_suffix", SEG_SUFFIXES))


def check_folder_layout(ds) -> None:
    """Data root, image and label folders present and not empty; class file readable."""
    from ..data.folder import class_file_for, layout_problems
    from ..text import load_class_names

    problems = layout_problems(_layout(ds))
    if problems:
        raise DatasetError(problems[0] + (f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""))
    load_class_names(class_file_for(_root(ds), ds.get("class_file")))


def preflight_folder(cfg, *, skip_bad: bool, check_values: bool = True) -> List[Tuple[str, str]]:
    """Every image/label pair checked (readable, same size, values in the classes or the id map);
    stop with the list, or with ``skip_bad`` evaluate the rest through a ``good_files.txt`` split."""
    from ..data.folder import class_file_for, load_id_map, scan_folder
    from ..results import atomic_write_text
    from ..text import load_class_names
    from .split_check import bad_files_message

    ds = cfg.test_dataloader.dataset
    root = _root(ds)
    n = len(load_class_names(class_file_for(root, ds.get("class_file"))))
    ignore = int(ds.get("ignore_index", 255))
    id_map = load_id_map(ds.get("id_map"), n, ignore, data_root=root)
    names = None
    if ds.get("ann_file"):
        ann = Path(ds["ann_file"]) if Path(ds["ann_file"]).is_absolute() else root / ds["ann_file"]
        names = [ln.strip() for ln in ann.read_text(encoding="utf-8").splitlines() if ln.strip()]
    good, bad, _, _ = scan_folder(_layout(ds), n, ignore_index=ignore, id_map=id_map,
                                  reduce_zero_label=bool(ds.get("reduce_zero_label", False)), names=names,
                                  check_values=check_values)
    if not bad:
        return []
    if not skip_bad:
        raise DatasetError(bad_files_message(bad) + "\n  (all checks: python tools/check_data.py folder "
                           f"--data-root {root})")
    if not good:
        raise DatasetError(f"every file of the split is bad; nothing to evaluate\n{bad_files_message(bad)}")
    listed = Path(cfg.work_dir) / "good_files.txt"
    atomic_write_text(listed, "".join(f"{s}\n" for s in good))
    ds.ann_file = str(listed.resolve())
    print(f"--skip-bad: leaving out {len(bad)} bad file(s) (listed in results.json/md)", file=sys.stderr, flush=True)
    return bad
