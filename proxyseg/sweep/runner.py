"""Run a sweep's cells through ``proxyseg.apis.evaluate`` (tools/test.py's arguments), resumably, rewriting the tables after each cell.

Call graph::

    run_sweep(spec, options)
      SweepRunner.run()
        select cells (--only) -> skip finished ones (results.json parses) unless --force
        write_outputs()                                   # table.{md,csv,json}
        for each cell to run:  (tqdm bar over cells)
          state runs += 1, status 'running'               # cells/<id>/cell.json (atomic)
          run_cell_inprocess() | run_cell_subprocess()    # proxyseg.apis.test_cli main(argv)
            -> cells/<id>/results.json (atomic, written by tools/test.py), sweep.log
          status 'done' | 'failed' (+ error line)         # cell.json (atomic)
          write_outputs()                                 # tables; pictures every PLOT_EVERY s
        write_outputs()                                   # tables and pictures, also on failure

Layout of ``<work_dir>``::

    table.md table.csv table.json table.png [heatmap.png] [figure.png]
    cells/<cell id>/cell.json      sweep bookkeeping: status, runs, error, seconds, argv
    cells/<cell id>/results.json   tools/test.py's results (the cell is finished iff this parses)
    cells/<cell id>/sweep.log      the cell's console output
    cells/<cell id>/<timestamp>/   mmengine's run folder (logs, per-run results)
    cells/<cell id>/vis/           overlays with --show-n

Every file is written with a temp file + rename, so a ``kill -9`` at any moment leaves either
the old or the new version, never a partial one; the next run resumes from the finished cells.
"""
from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from ..errors import ProxySegError, UsageError
from ..results import atomic_write_json
from .cells import cell_status, find_overlays, read_json, read_results, read_state  # noqa: F401
from .spec import REPO_ROOT, Cell, Spec

TEST_MODULE = "proxyseg.apis.test_cli"  # tools/test.py's argument parser + main, as a package module
PLOT_EVERY = 60.0  # seconds between picture refreshes while a sweep runs (always drawn at the end)


class SweepError(ProxySegError):
    """A cell failed and the sweep stopped (without ``--continue-on-error``)."""


@dataclass
class SweepOptions:
    """What ``tools/sweep.py`` passes on to every cell (see its ``--help``)."""

    work_dir: Path
    only: Sequence[str] = ()
    force: bool = False
    dry_run: bool = False
    continue_on_error: bool = False
    isolate: bool = False
    shared_pass: bool = True  # cells that differ only after CLIP's trunk: one pass over the data
    verbose: bool = False
    debug: bool = False
    plots: bool = True
    show_n: Optional[int] = None
    device: Optional[str] = None
    data_root: Optional[str] = None
    checkpoint: Optional[str] = None
    window_batch: Optional[int] = None
    synthetic: Optional[str] = None  # run every cell on tiny models + the synthetic twins under this folder
    test_args: List[str] = field(default_factory=list)  # result-changing: --limit, --amp, --seed, --cfg-options


def salt_args(limit=None, amp=None, seed=None, cfg_options=(), deterministic=False) -> List[str]:
    """tools/test.py arguments that change a cell's numbers (they are part of every cell id)."""
    out: List[str] = []
    if limit:
        out += ["--limit", str(limit)]
    if amp:
        out += ["--amp", amp]
    if seed not in (None, 0):
        out += ["--seed", str(seed)]
    if deterministic:
        out += ["--deterministic"]
    if cfg_options:
        out += ["--cfg-options", *cfg_options]
    return out


def identity_salt(data_root: Optional[str] = None, checkpoint: Optional[str] = None) -> List[str]:
    """Cell-id salt for what changes the numbers without being a test.py argument of its own:
    the data (root + file-list fingerprint), the weights folder/file (size + mtime) and proxyseg's
    code. Only hashed into the cell ids, never passed on (see :mod:`proxyseg.apis.run_key`)."""
    from ..apis.run_key import code_digest, files_fingerprint

    out = [f"code={code_digest()}"]
    if data_root:
        root = Path(data_root).expanduser()
        out.append(f"data={root.resolve()}:{files_fingerprint([root]) if root.exists() else 'missing'}")
    if checkpoint:
        ck = Path(checkpoint).expanduser()
        out.append(f"weights={ck.resolve()}:{files_fingerprint([ck]) if ck.exists() else 'missing'}")
    return out


def split_cfg_options(args: Sequence[str]):
    """``(other args, cfg-option values)``: every ``--cfg-options K=V ...`` run pulled out."""
    rest: List[str] = []
    opts: List[str] = []
    i, args = 0, list(args)
    while i < len(args):
        if args[i] == "--cfg-options":
            i += 1
            while i < len(args) and not args[i].startswith("--"):
                opts.append(args[i])
                i += 1
        else:
            rest.append(args[i])
            i += 1
    return rest, opts


# ---------------------------------------------------------------------------------------------
# console plumbing: cells write into their own log, the sweep keeps the terminal


class _StreamSwitch(io.TextIOBase):
    """A stand-in for ``sys.stdout``/``sys.stderr`` whose targets change per cell. Loggers
    created during a cell keep a reference to it, so switching (not closing) is safe."""

    def __init__(self, default):
        super().__init__()
        self.default = default
        self.targets = [default]

    def write(self, s):  # noqa: D401
        for t in self.targets:
            try:
                t.write(s)
            except ValueError:  # a closed target: drop the text rather than fail the run
                pass
        return len(s)

    def flush(self):
        for t in self.targets:
            try:
                t.flush()
            except (ValueError, OSError):
                pass

    def isatty(self):
        return False

    @property
    def encoding(self):
        return getattr(self.default, "encoding", "utf-8")

    def fileno(self):
        return self.default.fileno()


_SWITCHES: Dict[str, _StreamSwitch] = {}


def _switch(name: str) -> _StreamSwitch:
    """The process-wide switch for ``sys.<name>``, its default refreshed to the current stream.
    One object per stream for the whole process: a logging handler that a cell creates (e.g. by
    ``logging.basicConfig``) keeps writing into whichever cell log is current, never a stale one."""
    cur = getattr(sys, name)
    sw = _SWITCHES.get(name)
    if sw is None:
        sw = _SWITCHES[name] = _StreamSwitch(cur)
    if cur is not sw:
        sw.default = cur
    return sw


@contextlib.contextmanager
def _capture(log_path: Path, tee: bool):
    """Send this process's ``sys.stdout``/``sys.stderr`` into ``log_path`` (and the console with
    ``tee``) for the duration of one cell."""
    out, err = sys.stdout, sys.stderr
    sw_out, sw_err = _switch("stdout"), _switch("stderr")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    from tqdm import tqdm

    bars_before = set(map(id, list(getattr(tqdm, "_instances", ()))))
    with open(log_path, "a", encoding="utf-8") as log:
        sw_out.targets = [log, sw_out.default] if tee else [log]
        sw_err.targets = [log, sw_err.default] if tee else [log]
        sys.stdout, sys.stderr = sw_out, sw_err
        try:
            yield log
        finally:
            # a cell that failed mid-loop leaves its progress bar open; close it into the log, or
            # the sweep's own bar would redraw it on the console
            for bar in list(getattr(tqdm, "_instances", ())):
                if id(bar) not in bars_before:
                    with contextlib.suppress(Exception):
                        bar.close()
            sw_out.targets, sw_err.targets = [sw_out.default], [sw_err.default]
            sys.stdout, sys.stderr = out, err


def test_main(argv: List[str]) -> int:
    """``tools/test.py``'s ``main(argv)`` (:mod:`proxyseg.apis.test_cli`): parses ``argv`` and
    calls :func:`proxyseg.apis.evaluation.evaluate` in this process; settings travel as arguments."""
    from ..apis.test_cli import main

    return main(argv)


def error_line(exc: BaseException) -> str:
    """The one line tools/test.py would print for ``exc`` (``proxyseg.cli.run_main`` style)."""
    from ..cli import _is_cuda_oom, clean_message, find_proxyseg_error

    err = find_proxyseg_error(exc)
    if err is not None:
        return clean_message(err)
    if _is_cuda_oom(exc):
        return "out of GPU memory; lower model.window_batch (e.g. --window-batch 1) or use --amp bf16"
    return f"{type(exc).__name__}: {clean_message(exc)}"


def last_error_line(log_path: Path) -> Optional[str]:
    """The last ``error: ...`` line of a cell's log (subprocess mode)."""
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        s = line.strip()
        if s.startswith("error:"):
            return s[len("error:"):].strip()
        if "error:" in s and s.startswith("test.py"):  # argparse usage errors
            return s.split("error:", 1)[1].strip()
    return None


def _die_with_parent():  # pragma: no cover - runs in the child
    """Linux: the test.py child gets SIGKILL when the sweep dies (no orphan keeps running)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


# ---------------------------------------------------------------------------------------------


class SweepRunner:
    """Runs a :class:`Spec`'s cells (see the module docstring for the call graph and files)."""

    def __init__(self, spec: Spec, options: SweepOptions):
        self.spec = spec
        self.opt = options
        self.work_dir = Path(options.work_dir)
        self.cells_dir = self.work_dir / "cells"
        self.selected = spec.select(options.only)
        self._static: Dict[str, Dict[str, Any]] = {}
        self._configs: Dict[str, Any] = {}

    # -- paths and argv ------------------------------------------------------------------------
    def cell_dir(self, cell: Cell) -> Path:
        return self.cells_dir / cell.id

    def test_argv(self, cell: Cell, internal: bool = True) -> List[str]:
        """The ``tools/test.py`` arguments of one cell (also recorded in cell.json); without
        ``internal``: as a person would type them (the config path as the spec writes it)."""
        d = self.cell_dir(cell).resolve()
        o = self.opt
        config = str(cell.config_path) if internal or Path(cell.config).is_absolute() else cell.config
        argv = [config, "--work-dir", str(d)]
        if o.device:
            argv += ["--device", o.device]
        if o.data_root:
            root = Path(o.data_root).expanduser()
            argv += ["--data-root", str(root.resolve()) if root.exists() else o.data_root]
        if o.checkpoint:
            argv += ["--checkpoint", o.checkpoint]
        if o.window_batch:
            argv += ["--window-batch", str(o.window_batch)]
        if o.show_n:
            argv += ["--show-dir", str(d / "vis"), "--show-n", str(o.show_n)]
        # one --cfg-options list (argparse keeps only the last occurrence): the sweep's, then the
        # spec's extra_args', then the cell's overrides (later keys win)
        test_args, global_opts = split_cfg_options(o.test_args)
        extra, extra_opts = split_cfg_options(cell.extra_args)
        argv += test_args + extra
        # (tools/test.py gives every run its own mmengine experiment name, so in-process cells
        # never share a logger or a visualizer)
        opts = [*global_opts, *extra_opts, *cell.cfg_options()]
        if o.synthetic:  # the overrides are baked into a tiny-model config on the synthetic twins
            from ..mmseg.smoke import write_smoke_config

            argv[0] = str(write_smoke_config(cell.config_path, Path(o.synthetic).expanduser().resolve(),
                                             d / "smoke_config.py", opts))
            opts = []
        if opts:
            argv += ["--cfg-options", *opts]
        if o.debug:
            argv.append("--debug")
        return argv

    def command_line(self, cell: Cell) -> str:
        import shlex

        return " ".join(shlex.quote(a) for a in ["python", "tools/test.py", *self.test_argv(cell, internal=False)])

    # -- static description of a cell (for cells without results) ----------------------------
    def describe(self, cell: Cell) -> Dict[str, Any]:
        """``{dataset, method, vfm, clip}`` read from the config + overrides (no model built)."""
        if cell.id in self._static:
            return self._static[cell.id]
        desc = {"dataset": None, "method": None, "vfm": None, "clip": None}
        try:
            import copy

            from mmengine.config import Config

            from ..results import describe_model

            key = str(cell.config_path)
            if key not in self._configs:
                self._configs[key] = Config.fromfile(key, import_custom_modules=False)  # no mmseg import
            cfg = copy.deepcopy(self._configs[key])
            if cell.overrides:
                cfg.merge_from_dict(dict(cell.overrides))
            model = cfg.model.to_dict() if hasattr(cfg.model, "to_dict") else dict(cfg.model)
            desc.update(describe_model(model))
            desc["dataset"] = cfg.test_dataloader.dataset.get("type")
        except Exception:  # a config that does not load yet shows '?' until it runs
            pass
        self._static[cell.id] = desc
        return desc

    # -- outputs -------------------------------------------------------------------------------
    _last_plot = 0.0

    def write_outputs(self, pictures: bool = True) -> None:
        """Rewrite the tables (and, with ``pictures``, the PNGs) from the cells' files."""
        from .tables import collect_rows, write_tables

        rows = collect_rows(self)
        if self.opt.plots and pictures:  # pictures first, so table.md can link the ones that exist
            self._last_plot = time.time()
            from .plots import write_plots

            try:
                write_plots(self, rows)
            except Exception as e:  # a picture must never cost the numbers
                self._say(f"warning: could not draw the sweep's pictures: {type(e).__name__}: {e}")
        write_tables(self, rows)

    # -- running -------------------------------------------------------------------------------
    def _say(self, msg: str) -> None:
        if self._bar is not None:
            self._bar.write(msg, file=self._console)
        else:
            print(msg, file=self._console, flush=True)

    _bar = None
    _console = sys.stderr

    def run(self) -> int:
        """Run the selected, unfinished cells; 0 if every selected cell is done, 1 otherwise."""
        o, spec = self.opt, self.spec
        self._console = sys.stderr
        if not self.selected:
            raise UsageError(f"--only {' '.join(o.only)} matches none of the {len(spec.cells)} cells of {spec.name}; "
                             "see --dry-run for their ids and labels")
        missing = spec.missing_configs(self.selected)
        if missing and not o.continue_on_error and not o.dry_run:
            raise UsageError(f"{spec.path}: config(s) not found: {', '.join(missing)}; fix the spec, pick cells with "
                             "--only, or pass --continue-on-error to record them as failed")
        status = {c.id: cell_status(self.cell_dir(c)) for c in self.selected}
        todo = [c for c in self.selected if o.force or status[c.id] != "done"]
        n_done = sum(1 for c in self.selected if status[c.id] == "done")
        if o.dry_run:
            return self._dry_run(status)
        from ..results import check_writable

        check_writable(self.work_dir)
        self._lock()
        try:
            self._remove_stale_temp_files()
            return self._run(todo, n_done)
        finally:
            if self._lock_file is not None:
                self._lock_file.close()  # releases the lock
                self._lock_file = None

    _lock_file = None

    def _run(self, todo: List[Cell], n_done: int) -> int:
        o, spec = self.opt, self.spec
        self._say(f"sweep {spec.name}: {len(spec.cells)} cells, {len(self.selected)} selected, "
                  f"{0 if o.force else n_done} finished (skipped), {len(todo)} to run -> {self.work_dir}")
        self.write_outputs(pictures=False)
        from tqdm import tqdm

        self._bar = tqdm(total=len(todo), desc=f"sweep {spec.name}", unit="cell", file=self._console,
                         dynamic_ncols=True, disable=not todo)
        try:
            shared = self._run_shared_passes(todo) if (o.shared_pass and not o.isolate and len(todo) > 1) else set()
            if shared:
                todo = [c for c in todo if c.id not in shared]
            for k, cell in enumerate(todo, 1):
                self._bar.set_postfix_str(cell.label[:40], refresh=True)
                ok, info = self.run_cell(cell)
                # tables after every cell; pictures (about a second each) at most every PLOT_EVERY s
                self.write_outputs(pictures=time.time() - self._last_plot >= PLOT_EVERY and k < len(todo))
                self._bar.update(1)
                self._say(f"[{k}/{len(todo)}] {'done  ' if ok else 'FAILED'} {cell.label}: {info}")
                if not ok and not o.continue_on_error:
                    raise SweepError(
                        f"cell {cell.label!r} failed: {info} (log: {self.cell_dir(cell) / 'sweep.log'}); rerun "
                        "to retry it (finished cells are kept), or pass --continue-on-error")
        finally:
            self._bar.close()
            self._bar = None
            self.write_outputs()  # final tables and pictures, also after a failure or Ctrl-C
        final = [cell_status(self.cell_dir(c)) for c in self.selected]  # one read of each cell's files
        n_fail, n_ok = final.count("failed"), final.count("done")
        self._say(f"sweep {spec.name}: {len(todo)} cell(s) run, {n_ok}/{len(self.selected)} done, {n_fail} failed; "
                  f"table: {self.work_dir / 'table.md'}")
        return 0 if n_ok == len(self.selected) else 1

    def _run_shared_passes(self, todo: List[Cell]) -> set:
        """Run the cells that can share a pass (:mod:`proxyseg.apis.shared_pass`); returns the ids
        of the cells finished that way. A pass that fails leaves its cells to run one by one."""
        from ..apis.shared_pass import _run_pass, cells_from_argvs, plan

        runnable = [c for c in todo if c.config_path.is_file()]
        kws = cells_from_argvs([self.test_argv(c) for c in runnable])
        groups = [g for g in plan(kws) if len(g) > 1]
        finished: set = set()
        for p, group in enumerate(groups, 1):
            cells = [runnable[i] for i in group]
            self._say(f"shared pass {p}/{len(groups)}: {len(cells)} cells in one pass over the data: "
                      + "; ".join(c.label for c in cells))
            states, before = [], []
            for c in cells:
                d = self.cell_dir(c)
                d.mkdir(parents=True, exist_ok=True)
                state = read_state(d)
                before.append(dict(state))
                state.update(id=c.id, label=c.label, config=c.config, overrides=c.overrides,
                             argv=self.test_argv(c), status="running", error=None, runs=int(state.get("runs", 0)) + 1,
                             started=time.strftime("%Y-%m-%d %H:%M:%S"), finished=None, seconds=None,
                             shared_pass=[x.id for x in cells])
                atomic_write_json(d / "cell.json", state)
                states.append(state)
            log_path = self.cell_dir(cells[0]) / "sweep.log"
            t0 = time.time()
            try:
                with _capture(log_path, tee=self.opt.verbose):
                    print(f"$ shared pass of {len(cells)} cells: {', '.join(c.id for c in cells)}", flush=True)
                    results = _run_pass([kws[i] for i in group], pass_id=p, verbose=self.opt.verbose,
                                        progress=True, resume=True)
            except KeyboardInterrupt:
                raise
            except Exception as e:
                self._say(f"shared pass {p} failed ({error_line(e)}; log {log_path}); its cells run one by one")
                for c, old in zip(cells, before):  # back to what they were: the one-by-one run decides
                    if old:
                        atomic_write_json(self.cell_dir(c) / "cell.json", old)
                    else:
                        (self.cell_dir(c) / "cell.json").unlink(missing_ok=True)
                continue
            finally:
                self._cleanup()
            seconds = round(time.time() - t0, 2)
            for c, state, res in zip(cells, states, results):
                d = self.cell_dir(c)
                if c is not cells[0]:
                    with open(d / "sweep.log", "a", encoding="utf-8") as log:
                        log.write(f"sweep: evaluated in shared pass {p} with {len(cells)} cells; log: {log_path}\n")
                state.update(status="done", seconds=round(seconds / len(cells), 2), exit_code=0,
                             finished=time.strftime("%Y-%m-%d %H:%M:%S"))
                atomic_write_json(d / "cell.json", state)
                finished.add(c.id)
                self._bar.update(1)
                val = res.get(self.spec.metric)
                self._say(f"[shared pass {p}] done   {c.label}: {self.spec.metric} {val if val is not None else '-'}")
            self.write_outputs(pictures=False)
        return finished

    _TEMP_PREFIXES = (".table.", ".heatmap.png.", ".figure.png.", ".cell.json.", ".results.json.", ".results.md.")

    def _remove_stale_temp_files(self) -> None:
        """Temp files of atomic writes that a killed sweep left behind (we hold the lock, so no
        writer of ours is alive)."""
        for d in [self.work_dir, *self.cells_dir.glob("*")]:
            if not d.is_dir():
                continue
            for p in d.iterdir():
                if p.name.startswith(self._TEMP_PREFIXES) and p.is_file():
                    with contextlib.suppress(OSError):
                        p.unlink()

    def _lock(self) -> None:
        """One sweep per work dir at a time (an advisory lock the OS drops if the sweep dies)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        self._lock_file = open(self.work_dir / ".sweep.lock", "a+")
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.seek(0)
            who = self._lock_file.read().strip() or "?"
            self._lock_file.close()
            raise UsageError(f"another sweep ({who}) is running in {self.work_dir}; wait for it or pass another "
                             "--work-dir") from None
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(f"pid {os.getpid()}\n")
        self._lock_file.flush()

    def _dry_run(self, status: Dict[str, str]) -> int:
        out = sys.stdout
        print(f"sweep {self.spec.name}: {len(self.spec.cells)} cells, {len(self.selected)} selected "
              f"(work dir {self.work_dir})", file=out)
        for c in self.selected:
            exp = c.expected_value(self.spec.metric)
            flags = [] if c.config_path.is_file() else ["CONFIG MISSING"]
            todo = self.opt.force or status[c.id] != "done"
            print(f"  [{status[c.id]:>11}] {'run ' if todo else 'skip'} {c.id}\n"
                  f"      label: {c.label}" + (f" | expected {self.spec.metric} {exp}" if exp is not None else "")
                  + (f" | {' '.join(flags)}" if flags else "") + f"\n      {self.command_line(c)}", file=out)
        return 0

    def run_cell(self, cell: Cell):
        """Run one cell; returns ``(ok, message)`` and records the outcome in cell.json."""
        d = self.cell_dir(cell)
        d.mkdir(parents=True, exist_ok=True)
        state = read_state(d)
        argv = self.test_argv(cell)
        state.update(id=cell.id, label=cell.label, config=cell.config, overrides=cell.overrides,
                     argv=argv, status="running", error=None, runs=int(state.get("runs", 0)) + 1,
                     started=time.strftime("%Y-%m-%d %H:%M:%S"), finished=None, seconds=None)
        atomic_write_json(d / "cell.json", state)
        if self.opt.force:
            for name in ("results.json", "results.md"):
                with contextlib.suppress(FileNotFoundError):
                    (d / name).unlink()
        t0 = time.time()
        if not cell.config_path.is_file():
            rc, err = 2, f"config {cell.config} not found"
        else:
            run = self._run_subprocess if self.opt.isolate else self._run_inprocess
            try:
                rc, err = run(argv, d / "sweep.log")
            except KeyboardInterrupt:
                state.update(status="interrupted", error="interrupted", seconds=round(time.time() - t0, 2))
                atomic_write_json(d / "cell.json", state)
                raise
        seconds = round(time.time() - t0, 2)
        res = read_results(d)
        ok = rc == 0 and res is not None
        if not ok and err is None:
            err = (f"tools/test.py exited with code {rc}" if rc else "tools/test.py wrote no results.json") \
                + f"; see {d / 'sweep.log'}"
        if not ok:
            with open(d / "sweep.log", "a", encoding="utf-8") as log:
                log.write(f"sweep: cell failed: {err}\n")
        state.update(status="done" if ok else "failed", error=None if ok else err, seconds=seconds,
                     finished=time.strftime("%Y-%m-%d %H:%M:%S"), exit_code=rc)
        atomic_write_json(d / "cell.json", state)
        if ok:
            metric = self.spec.metric
            val = res.get(metric)
            msg = f"{metric} {val if val is not None else '-'}"
            exp = cell.expected_value(metric)
            if exp is not None and isinstance(val, (int, float)):
                msg += f" (paper {exp:.2f}, {val - exp:+.2f})"
            return True, msg + f", {seconds:.1f} s"
        return False, err

    def _run_inprocess(self, argv: List[str], log_path: Path):
        rc, err = 0, None
        with _capture(log_path, tee=self.opt.verbose) as log:
            print(f"$ python tools/test.py {' '.join(argv)}", flush=True)
            try:
                rc = test_main(argv) or 0
            except KeyboardInterrupt:
                raise
            except SystemExit as e:  # argparse errors
                rc = e.code if isinstance(e.code, int) else 2
                err = last_error_line(log_path) if rc else None
            except Exception as e:
                traceback.print_exc(file=log)
                if self.opt.debug:
                    traceback.print_exc(file=self._console)
                rc, err = getattr(e, "exit_code", 1) or 1, error_line(e)
            finally:
                log.flush()
        self._cleanup()
        return rc, err

    def _run_subprocess(self, argv: List[str], log_path: Path):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", TEST_MODULE, *argv]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"$ {' '.join(cmd)}\n")
            log.flush()
            if self.opt.verbose:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                        preexec_fn=_die_with_parent if os.name == "posix" else None)
                for line in proc.stdout:
                    log.write(line)
                    self._console.write(line)
                rc = proc.wait()
            else:
                rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=_die_with_parent if os.name == "posix" else None)
        return rc, (last_error_line(log_path) if rc else None)

    @staticmethod
    def _cleanup() -> None:
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:
            pass


def run_sweep(spec: Spec, options: SweepOptions) -> int:
    return SweepRunner(spec, options).run()
