"""A sweep's tables: ``table.json`` (everything), ``table.csv`` (one row per cell), ``table.md``.

One row per cell of the spec, in spec order, whatever its status:

    cell label | config | overrides | dataset | method | VFM | mIoU | aAcc | paper | diff | status | seconds

``paper`` is the spec's expected number for the spec's metric (blank where the spec gives
none) and ``diff = measured - paper``. All three files are rewritten atomically after every cell.
"""
from __future__ import annotations

import csv
import io
import math
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..results import atomic_write_json, atomic_write_text
from .cells import cell_status, find_overlays, read_results, read_state

CSV_FIELDS = ("index", "id", "label", "group", "series", "config", "overrides", "dataset", "method", "vfm", "clip",
              "mIoU", "aAcc", "mAcc", "expected", "diff", "expected_source", "status", "seconds", "runs", "images",
              "error")


def _num(x: Any) -> Optional[float]:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return None
    return float(x)


def _rel(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return str(path)


def collect_rows(runner) -> List[Dict[str, Any]]:
    """One dict per cell of ``runner.spec`` from its ``results.json`` / ``cell.json``."""
    spec = runner.spec
    rows = []
    for cell in spec.cells:
        d = runner.cell_dir(cell)
        res = read_results(d) or {}
        state = read_state(d)
        status = cell_status(d)
        static = runner.describe(cell) if not res else {}
        measured = {m: _num(res.get(m)) for m in ("mIoU", "aAcc", "mAcc")}
        exp = cell.expected_value(spec.metric)
        val = measured.get(spec.metric)
        diff = round(val - exp, 2) if (exp is not None and val is not None) else None
        rows.append(dict(
            index=cell.index, id=cell.id, label=cell.label, group=cell.group, series=cell.series,
            config=cell.config, overrides=dict(cell.overrides), overrides_text=cell.overrides_text(),
            dataset=res.get("dataset") or static.get("dataset"), method=res.get("method") or static.get("method"),
            vfm=res.get("vfm") or static.get("vfm"), clip=res.get("clip") or static.get("clip"),
            **measured, metric=spec.metric, value=val, expected=exp, diff=diff,
            expected_source=(cell.expected or {}).get("source") or None if cell.expected else None,
            status=status, error=state.get("error") if status == "failed" else None,
            seconds=_num(state.get("seconds")) if state.get("seconds") is not None else _num(res.get("seconds")),
            runs=int(state.get("runs", 0) or 0), images=res.get("images"),
            dir=_rel(d, runner.work_dir), overlays=[_rel(p, runner.work_dir) for p in find_overlays(d)],
            selected=cell in runner.selected,
        ))
    return rows


def _short_dataset(name: Optional[str]) -> str:
    if not name:
        return "?"
    return name[:-len("Dataset")] if name.endswith("Dataset") and len(name) > len("Dataset") else name


def _f(x: Optional[float], signed: bool = False) -> str:
    if x is None:
        return ""
    return f"{x:+.2f}" if signed else f"{x:.2f}"


def _md_cell(x: Any) -> str:
    return str(x if x is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown(runner, rows: List[Dict[str, Any]]) -> str:
    spec = runner.spec
    m = spec.metric
    measured_cols = ["mIoU", "aAcc"] + ([m] if m not in ("mIoU", "aAcc") else [])
    headers = ["cell", "config", "overrides", "dataset", "method", "VFM", *measured_cols, f"paper {m}", "diff",
               "status", "seconds"]
    lines = [f"# Sweep `{spec.name}`" + (f": {spec.title}" if spec.title else ""), ""]
    if spec.description:
        lines += [spec.description.strip(), ""]
    lines += ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    sources: Dict[str, List[str]] = {}
    for r in rows:
        status = r["status"] + (f" ({r['runs']} runs)" if r["runs"] > 1 else "")
        vals = [_f(r[c]) for c in measured_cols]
        paper = _f(r["expected"])
        if r["expected"] is not None and r["expected_source"]:
            sources.setdefault(r["expected_source"], []).append(r["label"])
        lines.append("| " + " | ".join(_md_cell(x) for x in [
            r["label"], Path(r["config"]).stem, r["overrides_text"], _short_dataset(r["dataset"]), r["method"] or "?",
            r["vfm"] or "?", *vals, paper, _f(r["diff"], signed=True), status,
            f"{r['seconds']:.1f}" if r["seconds"] is not None else ""]) + " |")
    avgs = series_averages(spec, rows)
    if avgs:
        lines += ["", f"Average of {len(spec.average)} ({', '.join(spec.average)}), plain mean as the paper computes it "
                  "(blank until every cell ran):", "", f"| series | measured {m} | paper {m} | diff |", "|---|---|---|---|"]
        lines += [f"| {_md_cell(a['series'])} | {_f(a['measured'])} | {_f(a['paper'])} | {_f(a['diff'], signed=True)} |"
                  for a in avgs]
    counts = count_status(rows)
    lines += ["", "Cells: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v) +
              f". Updated {time.strftime('%Y-%m-%d %H:%M:%S')}. `diff` = measured - paper."]
    if sources:
        lines += ["", "Paper numbers:"] + [f"- {src}: {', '.join(labels)}" for src, labels in sources.items()]
    missing = [r["label"] for r in rows if r["expected"] is None]
    if missing and len(missing) < len(rows):
        lines += ["", f"No paper {m} in the spec for: {', '.join(missing)}."]
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        lines += ["", "Failed cells:"] + [f"- {r['label']}: {r['error'] or '?'} (log: `{r['dir']}/sweep.log`)"
                                          for r in failed]
    pics = [p for p in ("table.png", "heatmap.png", "figure.png") if (runner.work_dir / p).is_file()]
    if pics:
        lines += [""] + [f"![{p[:-4]}]({p})" for p in pics]
    return "\n".join(lines) + "\n"


def series_averages(spec, rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Per series, the plain mean over ``spec.average`` groups of the measured metric and of the
    paper's numbers (``None`` unless every group has one), as a paper's "avg" column."""
    groups = list(getattr(spec, "average", ()) or ())
    if not groups:
        return []
    m = spec.metric
    out = []
    for series in dict.fromkeys(r["series"] for r in rows if r["group"] in groups):
        by_group = {r["group"]: r for r in rows if r["series"] == series and r["group"] in groups}
        measured = [_num(by_group[g].get(m)) if g in by_group else None for g in groups]
        paper = [_num(by_group[g].get("expected")) if g in by_group else None for g in groups]
        mean = (lambda xs: None if any(x is None for x in xs) else sum(xs) / len(xs))
        a, b = mean(measured), mean(paper)
        out.append(dict(series=series, measured=a, paper=b, diff=None if a is None or b is None else a - b,
                        groups=len(groups)))
    return out


def count_status(rows: List[Dict[str, Any]]) -> Dict[str, int]:
    out = {"done": 0, "failed": 0, "interrupted": 0, "pending": 0}
    for r in rows:
        out[r["status"]] = out.get(r["status"], 0) + 1
    return out


def to_csv(rows: List[Dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "overrides": r["overrides_text"],
                    **{k: ("" if r.get(k) is None else r[k]) for k in CSV_FIELDS if k not in ("overrides",)}})
    return buf.getvalue()


def to_json(runner, rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    spec = runner.spec
    return dict(
        name=spec.name, title=spec.title, spec=str(spec.path), metric=spec.metric, work_dir=str(runner.work_dir),
        updated=time.strftime("%Y-%m-%d %H:%M:%S"), counts=count_status(rows), grid=spec.grid,
        heatmap=list(spec.heatmap) if spec.heatmap else None, cells=rows,
        averages=series_averages(spec, rows),
    )


def write_tables(runner, rows: List[Dict[str, Any]]) -> None:
    wd = runner.work_dir
    atomic_write_json(wd / "table.json", to_json(runner, rows))
    atomic_write_text(wd / "table.csv", to_csv(rows))
    atomic_write_text(wd / "table.md", markdown(runner, rows))
