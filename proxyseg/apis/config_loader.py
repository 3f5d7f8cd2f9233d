"""Load mmengine-style python configs with or without mmengine.

The core must run where only torch, timm and open_clip are installed, so :func:`load_config`
uses ``mmengine.Config.fromfile`` when mmengine is importable and otherwise a small fallback
with the same semantics for what our configs use:

- ``_base_ = 'a.py'`` or ``['a.py', 'b.py']`` (relative to the file), merged recursively: a
  child dict updates its base dict key by key; ``_delete_=True`` in a child dict replaces the
  base dict instead; non-dict values replace; the same key in two bases is an error.
- ``{{_base_.a.b}}`` (quoted or not) is replaced by the base's value before the file runs.
- ``{{fileDirname}}``, ``{{fileBasename}}``, ``{{fileBasenameNoExtension}}``, ``{{fileExtname}}``.

Presets for :func:`resolve_config`: ``"tiny"`` (tiny random-weight model, for demos and tests)
and the stem of any file under ``configs/`` (``"proxyclip_vit-b16_dino-b8_coco-object"``).
"""
from __future__ import annotations

import ast
import copy
import difflib
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from ..cli import REPO_ROOT
from ..errors import ConfigError

CONFIG_DIR = REPO_ROOT / "configs"
PRESETS = {"tiny": "_base_/models/tiny_random.py"}
_BASE_VAR = re.compile(r"""(['"]?)\{\{\s*_base_\.([\w.]+)\s*\}\}\1""")
_PREDEFINED = re.compile(r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}")


def resolve_config(name_or_path: Union[str, os.PathLike]) -> Path:
    """A config file from a path, a preset (``tiny``) or a file stem under ``configs/``."""
    s = str(name_or_path)
    if s in PRESETS:
        path = CONFIG_DIR / PRESETS[s]
        if not path.is_file():
            raise ConfigError(f"preset {s!r} needs {path}, which is missing (run from a proxyseg checkout)")
        return path
    p = Path(s).expanduser()
    if p.is_file():
        return p
    if (REPO_ROOT / p).is_file():
        return REPO_ROOT / p
    stem = p.name[:-3] if p.name.endswith(".py") else p.name
    found = sorted(CONFIG_DIR.rglob(f"{stem}.py")) if CONFIG_DIR.is_dir() else []
    found = [f for f in found if "_base_" not in f.parts]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ConfigError(f"config name {stem!r} is ambiguous: {', '.join(str(f) for f in found)}; give the path")
    known = available_configs()
    close = difflib.get_close_matches(stem, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; presets: {', '.join(PRESETS)}"
    raise ConfigError(f"config {s!r} not found (a path, a preset or a file name under {CONFIG_DIR}){hint}")


def available_configs() -> List[str]:
    """Stems of the experiment configs under ``configs/`` (bases excluded) and the presets."""
    stems = [f.stem for f in CONFIG_DIR.rglob("*.py") if "_base_" not in f.parts] if CONFIG_DIR.is_dir() else []
    return sorted(PRESETS) + sorted(stems)


def load_config(name_or_path: Union[str, os.PathLike], use_mmengine: Optional[bool] = None) -> Dict[str, Any]:
    """Read a config into plain nested dicts (``cfg['model']['clip']``).

    Args:
        name_or_path: see :func:`resolve_config`.
        use_mmengine: ``None``: mmengine if importable; ``False``: always the fallback.

    Returns:
        the config's variables, plus ``'_config_path'`` (the resolved file).
    """
    path = resolve_config(name_or_path)
    if use_mmengine is None:
        try:
            import mmengine.config  # noqa: F401
            use_mmengine = True
        except ImportError:
            use_mmengine = False
    if use_mmengine:
        from mmengine.config import Config

        try:
            cfg = _plain(Config.fromfile(str(path), import_custom_modules=False, format_python_code=False).to_dict())
        except Exception as e:  # mmengine raises assorted types for a bad file
            raise ConfigError(f"config {path} cannot be loaded: {type(e).__name__}: {e}") from None
    else:
        cfg = _load_fallback(path.resolve(), stack=())
    cfg["_config_path"] = str(path)
    return cfg


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x) if isinstance(x, tuple) else [_plain(v) for v in x]
    return x


def _load_fallback(path: Path, stack: tuple) -> Dict[str, Any]:
    """Exec one python config with its bases (mmengine semantics, see the module docstring)."""
    if path in stack:
        raise ConfigError(f"config {path} inherits from itself: {' -> '.join(str(p) for p in (*stack, path))}")
    if not path.is_file():
        where = f" (a _base_ of {stack[-1]})" if stack else ""
        raise ConfigError(f"config {path} not found{where}")
    text = path.read_text(encoding="utf-8")
    names = {"fileDirname": str(path.parent), "fileBasename": path.name,
             "fileBasenameNoExtension": path.stem, "fileExtname": path.suffix}
    text = _PREDEFINED.sub(lambda m: names[m.group(1)], text)
    base_cfg: Dict[str, Any] = {}
    for rel in _read_bases(text, path):
        if "::" in rel:
            raise ConfigError(f"{path}: package-scoped base {rel!r} needs mmengine (pip install mmengine)")
        sub = _load_fallback((path.parent / rel).resolve(), (*stack, path))
        dup = set(sub) & set(base_cfg)
        if dup:
            raise ConfigError(f"{path}: key(s) {', '.join(sorted(dup))} defined in more than one _base_ file")
        base_cfg.update(sub)

    # like mmengine: each {{_base_.key}} becomes a unique string first and is replaced by the base
    # value after the file ran, so a placeholder in a comment is harmless and quotes are optional
    placeholders: Dict[str, str] = {}

    def mark(m: re.Match) -> str:
        token = f"__proxyseg_base_{len(placeholders)}__"
        placeholders[token] = m.group(2)
        return repr(token)

    text = _BASE_VAR.sub(mark, text)
    ns: Dict[str, Any] = {"__file__": str(path), "__name__": "__config__"}
    try:
        exec(compile(text, str(path), "exec"), ns)
    except Exception as e:
        raise ConfigError(f"config {path} failed to run: {type(e).__name__}: {e}") from None

    def resolve(x: Any) -> Any:
        if isinstance(x, str) and x in placeholders:
            value: Any = base_cfg
            for part in placeholders[x].split("."):
                if not isinstance(value, dict) or part not in value:
                    raise ConfigError(f"{path}: {{{{_base_.{placeholders[x]}}}}} is not defined in its _base_ files")
                value = value[part]
            return copy.deepcopy(value)
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(resolve(v) for v in x)
        return x

    own = {k: resolve(v) for k, v in ns.items() if not k.startswith("__") and k != "_base_" and _is_value(v)}
    return merge_dicts(base_cfg, own)


def _read_bases(text: str, path: Path) -> List[str]:
    """The ``_base_`` assignment of a config's source, without running it."""
    try:
        tree = ast.parse(_BASE_VAR.sub("None", text), filename=str(path))
    except SyntaxError as e:
        raise ConfigError(f"config {path} has a syntax error on line {e.lineno}: {e.msg}") from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_base_" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                raise ConfigError(f"{path}: _base_ must be a string or a list of strings") from None
            bases = [value] if isinstance(value, str) else value
            if not isinstance(bases, (list, tuple)) or not all(isinstance(b, str) for b in bases):
                raise ConfigError(f"{path}: _base_ must be a string or a list of strings")
            return list(bases)
    return []


def _is_value(v: Any) -> bool:
    import types

    return not isinstance(v, (types.ModuleType, types.FunctionType, type))


def merge_dicts(base: Dict[str, Any], child: Dict[str, Any]) -> Dict[str, Any]:
    """mmengine's merge: child dicts update base dicts recursively unless ``_delete_=True``."""
    out = copy.deepcopy(base)
    for k, v in child.items():
        if isinstance(v, dict):
            v = dict(v)
            delete = v.pop("_delete_", False)
            if not delete and isinstance(out.get(k), dict):
                out[k] = merge_dicts(out[k], v)
                continue
            v = merge_dicts({}, v)  # strips nested _delete_ keys
        out[k] = copy.deepcopy(v)
    return out
