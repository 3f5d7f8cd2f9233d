"""Sweep specs: a plain Python file that names configs, a grid of overrides and expectations.

A spec is run with :func:`runpy.run_path` (any Python works: loops, comprehensions); these
top-level names are read, everything else (modules, functions, names starting with ``_``)
is ignored::

    name = 'beta_gamma'                      # default: the file's stem
    title = 'PAM beta x gamma on COCO-Object'  # optional, heads table.md
    description = '...'                      # optional, a paragraph under the title
    metric = 'mIoU'                          # the metric compared with the paper (default mIoU)
    configs = [                              # str, or dict(config=..., label=..., expected=...,
        'configs/proxyclip/x.py',            #          overrides={...}, group=..., series=...)
    ]
    grid = {'model.beta': [1.0, 1.2], 'model.gamma': [2.0, 3.0]}   # crossed with every config
    cells = [dict(config=..., overrides={...}, label=..., expected=dict(mIoU=12.51, source='...'),
                  group='COCO-Stuff', series='MaskCLIP',           # explicit cells (added after);
                  extra_args=['--checkpoint', 'x.pth'])]           # extra_args: this cell only
    extra_args = ['--limit', '500']          # passed to every tools/test.py call
    heatmap = ('model.beta', 'model.gamma')  # rows, columns of heatmap.png (default: the grid's
                                             # two keys when it has exactly two)

Cells = ``configs x product(grid)`` followed by ``cells``. Override keys are mmengine
``--cfg-options`` keys; values are Python values (str, int, float, bool, None, list/tuple of
those) that must survive the ``KEY=VALUE`` round trip. A cell's id (its folder under
``<sweep>/cells/``) is derived from its config, overrides and result-changing arguments only,
so relabelling or reordering a spec keeps its finished cells.
"""
from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import re
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import UsageError

from ..paths import REPO_ROOT  # noqa: E402
SPEC_KEYS = ("name", "title", "description", "metric", "configs", "grid", "cells", "extra_args", "heatmap", "average")
CELL_KEYS = ("config", "overrides", "label", "expected", "group", "series", "extra_args")
METRICS = ("mIoU", "aAcc", "mAcc")


class SpecError(UsageError):
    """A sweep spec is malformed (exit code 2)."""


@dataclass
class Cell:
    """One evaluation: a config plus ``--cfg-options`` overrides.

    Attributes:
        config (str): the config path as written in the spec (repo-relative where possible).
        config_path (Path): the resolved file (may not exist; see :meth:`Spec.missing_configs`).
        overrides (dict): ``{cfg key: python value}``, in spec order.
        label (str): display name; group/series place it in the bar chart.
        expected (dict | None): ``{metric: number, 'source': str}`` (the paper's number).
        extra_args (list[str]): tools/test.py arguments from the spec.
        id (str): folder name under ``<sweep>/cells/``.
        index (int): position in the spec.
    """

    config: str
    config_path: Path
    overrides: Dict[str, Any]
    label: str
    group: str
    series: str
    expected: Optional[Dict[str, Any]] = None
    extra_args: List[str] = field(default_factory=list)
    id: str = ""
    index: int = 0

    def cfg_options(self) -> List[str]:
        """The overrides as ``KEY=VALUE`` strings for ``tools/test.py --cfg-options``."""
        return [f"{k}={format_value(v)}" for k, v in self.overrides.items()]

    def overrides_text(self) -> str:
        return overrides_text(self.overrides)

    def expected_value(self, metric: str) -> Optional[float]:
        if not self.expected:
            return None
        v = self.expected.get(metric)
        return None if v is None else float(v)


@dataclass
class Spec:
    """A loaded sweep spec; :attr:`cells` are expanded and validated."""

    path: Path
    name: str
    cells: List[Cell]
    metric: str = "mIoU"
    title: str = ""
    description: str = ""
    grid: Dict[str, List[Any]] = field(default_factory=dict)
    extra_args: List[str] = field(default_factory=list)
    heatmap: Optional[Tuple[str, str]] = None
    #: groups whose cells are averaged per series (a paper's "avg" column: plain mean, only when all ran)
    average: Tuple[str, ...] = ()

    def select(self, patterns: Sequence[str]) -> List[Cell]:
        """Cells whose id, label or config matches any pattern (glob if it has ``*?[``,
        else case-insensitive substring); all cells when ``patterns`` is empty."""
        if not patterns:
            return list(self.cells)
        import fnmatch

        def hit(cell, pat):
            fields = (cell.id, cell.label, cell.config, Path(cell.config).stem, cell.overrides_text())
            if any(ch in pat for ch in "*?["):
                return any(fnmatch.fnmatch(f.lower(), pat.lower()) for f in fields)
            return any(pat.lower() in f.lower() for f in fields)

        return [c for c in self.cells if any(hit(c, p) for p in patterns)]

    def missing_configs(self, cells: Optional[Sequence[Cell]] = None) -> List[str]:
        return sorted({c.config for c in (self.cells if cells is None else cells) if not c.config_path.is_file()})


# ---------------------------------------------------------------------------------------------
# values <-> --cfg-options strings


def format_value(v: Any) -> str:
    """Python value -> mmengine ``DictAction`` text (``1.2``, ``True``, ``None``, ``[a,b]``)."""
    if v is None or isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        inner = ",".join(format_value(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    raise SpecError(f"override value {v!r} ({type(v).__name__}) cannot be passed as --cfg-options; use str, "
                    "int, float, bool, None or a list of those (one key per dict entry: model.vfm.type=..., "
                    "model.vfm.arch=...)")


def _parse_value(text: str) -> Any:
    from mmengine.config import DictAction

    return DictAction._parse_iterable(text)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and not isinstance(a, bool)
                                             and isinstance(b, (int, float)) and not isinstance(b, bool) and a == b)


def check_value(key: str, v: Any) -> None:
    """Raise :class:`SpecError` unless ``key=format_value(v)`` parses back to ``v``."""
    text = format_value(v)
    back = _parse_value(text)
    if not _same(back, v):
        raise SpecError(f"override {key}={v!r} would reach the config as {back!r} ({type(back).__name__}); "
                        "avoid strings with commas, brackets, spaces or that look like numbers/booleans")


def short_key(key: str, keys: Sequence[str] = ()) -> str:
    """``model.vfm.arch`` -> ``arch`` (or the shortest unambiguous dotted suffix among ``keys``)."""
    parts = key.split(".")
    for n in range(1, len(parts) + 1):
        cand = ".".join(parts[-n:])
        if sum(1 for k in keys if k == cand or k.endswith("." + cand)) <= 1:
            return cand
    return key


def overrides_text(overrides: Dict[str, Any]) -> str:
    keys = list(overrides)
    return ", ".join(f"{short_key(k, keys)}={format_value(v)}" for k, v in overrides.items())


def slug(text: str, max_len: int = 72) -> str:
    s = re.sub(r"[^A-Za-z0-9._=-]+", "_", text).strip("_.")
    return s[:max_len].rstrip("_.") or "cell"


def config_key(path: Path, written: str) -> str:
    """How a config is named in cell ids: repo-relative POSIX path when inside the repo."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path.resolve()) if path.is_absolute() or path.exists() else written


def cell_id(config_key_: str, overrides: Dict[str, Any], extra_args: Sequence[str], salt: Sequence[str] = ()) -> str:
    """``<config stem>__<k=v_...>-<hash8>`` (keys sorted); the hash covers the config, the overrides, the
    spec's extra args and ``salt`` (the sweep's result-changing arguments)."""
    payload = json.dumps([config_key_, sorted((k, format_value(v)) for k, v in overrides.items()),
                          list(extra_args), list(salt)])
    digest = hashlib.sha1(payload.encode()).hexdigest()[:8]
    keys = list(overrides)
    parts = [f"{short_key(k, keys)}={format_value(v)}" for k, v in sorted(overrides.items())]
    name = Path(config_key_).stem + ("__" + "_".join(parts) if parts else "")
    return f"{slug(name)}-{digest}"


# ---------------------------------------------------------------------------------------------
# loading


def resolve_config(config: str, spec_dir: Path) -> Path:
    p = Path(config).expanduser()
    if p.is_absolute():
        return p
    for base in (Path.cwd(), REPO_ROOT, spec_dir):
        if (base / p).is_file():
            return (base / p).resolve()
    return (REPO_ROOT / p).resolve()


def normalize_expected(expected: Any, metric: str, where: str) -> Optional[Dict[str, Any]]:
    """``None`` | number | ``dict(mIoU=12.51, source='...')`` -> ``{metric: float, 'source': str}``."""
    if expected is None:
        return None
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return {metric: float(expected), "source": ""}
    if not isinstance(expected, dict):
        raise SpecError(f"{where}: expected must be None, a number or dict(mIoU=..., source='...'), got {expected!r}")
    out: Dict[str, Any] = {"source": str(expected.get("source") or "")}
    for k, v in expected.items():
        if k in ("source", "note"):
            if k == "note":
                out["note"] = str(v)
            continue
        if k not in METRICS:
            raise SpecError(f"{where}: unknown expected metric {k!r}; use one of {', '.join(METRICS)}")
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise SpecError(f"{where}: expected {k} must be a number, got {v!r}")
            out[k] = float(v)
    return out if any(k in out for k in METRICS) else None


def _check_keys(d: dict, allowed: Sequence[str], where: str) -> None:
    for k in d:
        if k not in allowed:
            close = difflib.get_close_matches(k, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"{where}: unknown key {k!r}{hint}; allowed: {', '.join(allowed)}")


def _as_list(x, what: str) -> list:
    if x is None:
        return []
    if isinstance(x, (str, dict)):
        return [x]
    if isinstance(x, (list, tuple)):
        return list(x)
    raise SpecError(f"{what} must be a list, got {type(x).__name__}")


def _default_label(config: str, overrides: Dict[str, Any]) -> str:
    text = overrides_text(overrides)
    return Path(config).stem + (f" [{text}]" if text else "")


def load_spec(path: Any, salt: Sequence[str] = ()) -> Spec:
    """Load and expand a spec file; raise :class:`SpecError` naming the problem."""
    path = Path(path).expanduser()
    if not path.is_file():
        alt = REPO_ROOT / path
        if alt.is_file():
            path = alt
        else:
            raise SpecError(f"sweep spec {path} not found (specs live in configs/seed/)")
    try:
        ns = runpy.run_path(str(path))
    except SpecError:
        raise
    except Exception as e:  # a syntax error or a failing import in the spec itself
        raise SpecError(f"sweep spec {path} failed to load: {type(e).__name__}: {e}") from e
    values = {k: v for k, v in ns.items() if not k.startswith("_") and not callable(v)
              and type(v).__name__ != "module"}
    for k in values:
        if k not in SPEC_KEYS:
            close = difflib.get_close_matches(k, SPEC_KEYS, n=1, cutoff=0.75)
            if close:
                raise SpecError(f"{path}: unknown key {k!r} (did you mean {close[0]!r}?)")
    return build_spec(values, path, salt=salt)


def build_spec(values: Dict[str, Any], path: Path, salt: Sequence[str] = ()) -> Spec:
    """Expand a spec namespace (as produced by :func:`load_spec`) into cells."""
    path = Path(path)
    where = str(path)
    name = str(values.get("name") or path.stem)
    metric = values.get("metric", "mIoU")
    if metric not in METRICS:
        raise SpecError(f"{where}: metric must be one of {', '.join(METRICS)}, got {metric!r}")
    grid = values.get("grid") or {}
    if not isinstance(grid, dict):
        raise SpecError(f"{where}: grid must be a dict {{cfg key: [values]}}, got {type(grid).__name__}")
    grid = {str(k): _as_list(v, f"grid[{k!r}]") for k, v in grid.items()}
    for k, vs in grid.items():
        if not vs:
            raise SpecError(f"{where}: grid[{k!r}] is empty")
        for v in vs:
            check_value(k, v)
    extra_args = [str(a) for a in _as_list(values.get("extra_args"), "extra_args")]
    heatmap = values.get("heatmap")
    if heatmap is not None:
        if not (isinstance(heatmap, (list, tuple)) and len(heatmap) == 2 and all(isinstance(h, str) for h in heatmap)):
            raise SpecError(f"{where}: heatmap must be a pair of grid keys (rows, columns), got {heatmap!r}")
        heatmap = (heatmap[0], heatmap[1])

    raw: List[Dict[str, Any]] = []
    combos = [dict(zip(grid, vals)) for vals in itertools.product(*grid.values())] if grid else [{}]
    config_entries = _as_list(values.get("configs"), "configs")
    for i, entry in enumerate(config_entries):
        entry = {"config": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict) or "config" not in entry:
            raise SpecError(f"{where}: configs[{i}] must be a path or dict(config=...), got {entry!r}")
        _check_keys(entry, CELL_KEYS, f"{where}: configs[{i}]")
        base_over = dict(entry.get("overrides") or {})
        base_label = entry.get("label") or Path(entry["config"]).stem
        for combo in combos:
            over = {**base_over, **combo}
            combo_text = overrides_text(combo)
            raw.append(dict(
                config=entry["config"], overrides=over, expected=entry.get("expected"),
                label=(base_label + (f" [{combo_text}]" if combo_text else "")) if entry.get("label")
                else combo_text if (len(config_entries) == 1 and combo_text and not base_over)
                else _default_label(entry["config"], over),
                group=str(entry.get("group") or base_label),
                series=str(entry.get("series") or combo_text or base_label),
                extra_args=entry.get("extra_args"), where=f"configs[{i}]"))
    for i, entry in enumerate(_as_list(values.get("cells"), "cells")):
        if not isinstance(entry, dict) or "config" not in entry:
            raise SpecError(f"{where}: cells[{i}] must be dict(config=..., overrides=..., ...), got {entry!r}")
        _check_keys(entry, CELL_KEYS, f"{where}: cells[{i}]")
        over = dict(entry.get("overrides") or {})
        label = entry.get("label") or entry.get("series") or _default_label(entry["config"], over)
        raw.append(dict(config=entry["config"], overrides=over, expected=entry.get("expected"), label=str(label),
                        group=str(entry.get("group") or ""), series=str(entry.get("series") or label),
                        extra_args=entry.get("extra_args"), where=f"cells[{i}]"))
    if not raw:
        raise SpecError(f"{where}: no cells; give configs=[...] (crossed with grid={{...}}) or cells=[dict(...)]")

    cells: List[Cell] = []
    seen: Dict[str, str] = {}
    for idx, r in enumerate(raw):
        if not isinstance(r["config"], str):
            raise SpecError(f"{where}: {r['where']}: config must be a path string, got {r['config']!r}")
        for k, v in r["overrides"].items():
            check_value(k, v)
        cfg_path = resolve_config(r["config"], path.parent)
        key = config_key(cfg_path, r["config"])
        args = extra_args + [str(a) for a in _as_list(r.get("extra_args"), f"{r['where']}: extra_args")]
        cid = cell_id(key, r["overrides"], args, salt)
        if cid in seen:
            raise SpecError(f"{where}: {r['where']} ({r['label']}) duplicates {seen[cid]}: same config and overrides")
        seen[cid] = f"{r['where']} ({r['label']})"
        cells.append(Cell(config=key, config_path=cfg_path, overrides=r["overrides"], label=r["label"],
                          group=r["group"], series=r["series"],
                          expected=normalize_expected(r["expected"], metric, f"{where}: {r['where']}"),
                          extra_args=args, id=cid, index=idx))
    if heatmap is None:
        multi = [k for k, v in grid.items() if len(v) > 1]
        if len(multi) == 2:
            heatmap = (multi[0], multi[1])
    average = tuple(str(g) for g in _as_list(values.get("average"), "average"))
    unknown = sorted(set(average) - {c.group for c in cells})
    if unknown:
        raise SpecError(f"{where}: average names groups no cell has: {', '.join(unknown)}")
    return Spec(path=path, name=name, cells=cells, metric=metric, title=str(values.get("title") or ""),
                description=str(values.get("description") or ""), grid=grid, extra_args=extra_args,
                heatmap=heatmap, average=average)
