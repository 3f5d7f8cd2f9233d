"""Class-name files: one class per line, synonyms separated by ``;`` (upstream uses ``'; '``).

A name may belong to two classes, as in upstream ProxyCLIP's ``cls_coco_object.txt`` (``bed`` is a
background synonym and class 60). Upstream embeds every query and takes the argmax of the per-class
maximum, so the two queries tie and the lower class index wins: a class whose names all belong to
earlier classes can never be predicted. We do the same and warn once per class list
(mc-lan/ProxyCLIP:proxyclip_segmentor.py, ``get_cls_idx`` and ``postprocess_result``).
"""
from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

from ..errors import ClassNamesError

MAX_CLASSES = 1000
MAX_NAME_LEN = 300  # upstream's ADE-847 file has 113-character names; CLIP truncates at 77 tokens anyway
BOM = "\ufeff"


class SharedNameWarning(UserWarning):
    """A name belongs to two classes: the later class loses every tie (see the module docstring)."""


_WARNED: set = set()


@dataclass(frozen=True)
class ClassNames:
    """Classes with synonyms.

    Attributes:
        classes: per class, its names (first = display name).
        queries: all names flattened (what the text encoder embeds), ``Q`` of them.
        query_idx: class index of every query, length ``Q``.
    """

    classes: tuple

    @property
    def names(self) -> List[str]:
        return [c[0] for c in self.classes]

    @property
    def queries(self) -> List[str]:
        return [n for c in self.classes for n in c]

    @property
    def query_idx(self) -> List[int]:
        return [i for i, c in enumerate(self.classes) for _ in c]

    def __len__(self) -> int:
        return len(self.classes)

    @property
    def shared_names(self) -> Dict[str, Tuple[int, ...]]:
        """Names that belong to more than one class -> the classes (ascending) that list them."""
        owners: Dict[str, List[int]] = {}
        for i, c in enumerate(self.classes):
            for n in c:
                if i not in owners.setdefault(n, []):
                    owners[n].append(i)
        return {n: tuple(o) for n, o in owners.items() if len(o) > 1}

    @property
    def never_predicted(self) -> List[int]:
        """Classes whose every name also belongs to an earlier class: they tie at best and the
        lower index wins the argmax, so they are never predicted (as upstream)."""
        first = {}
        for i, c in enumerate(self.classes):
            for n in c:
                first.setdefault(n, i)
        return [i for i, c in enumerate(self.classes) if all(first[n] < i for n in c)]


def parse_class_names(entries: Union[str, Sequence[str]], source: str = "class list", *,
                      shared: str = "warn") -> ClassNames:
    """Parse lines (or a comma-free list of entries) into :class:`ClassNames`.

    Blank lines and surrounding spaces are ignored; synonyms are split on ``;``; a UTF-8 byte-order
    mark at the start is dropped. Empty lists, empty synonyms, over-long names and control
    characters (tabs, ``\\x00``, ``\\x1e``...) inside a name raise :class:`ClassNamesError`. A name
    shared by two classes is kept (every query is embedded, as upstream) with a
    :class:`SharedNameWarning`, once per class list; ``shared="error"`` refuses it instead (for
    lists a user types, where a repeated name is a slip, not a file read as upstream reads it).
    """
    if shared not in ("warn", "error"):
        raise ValueError(f"shared must be 'warn' or 'error', got {shared!r}")
    if isinstance(entries, str):
        # only newlines separate lines: str.splitlines() would also split on \x1c-\x1e, \x85, U+2028
        entries = entries.split("\n")
    classes = []
    for lineno, line in enumerate(entries, 1):
        if not isinstance(line, str):
            raise ClassNamesError(f"{source}: entry {lineno} is {type(line).__name__}, not text")
        if lineno == 1 and line.startswith(BOM):
            line = line[len(BOM):]
        line = line.strip()
        if not line:
            continue
        bad = next((ch for ch in line if unicodedata.category(ch) == "Cc"), None)
        if bad is not None:
            raise ClassNamesError(f"{source}: line {lineno} ({line[:60]!r}) contains the control character "
                                  f"{bad!r} (U+{ord(bad):04X}); class names must be plain "
                                  f"text: delete it, put one class per line and separate synonyms with '; '")
        names = tuple(n.strip() for n in line.split(";"))
        names = tuple(n for n in names if n)
        if not names:
            raise ClassNamesError(f"{source}: line {lineno} has no class name")
        too_long = [n for n in names if len(n) > MAX_NAME_LEN]
        if too_long:
            raise ClassNamesError(f"{source}: class name on line {lineno} is longer than {MAX_NAME_LEN} characters")
        classes.append(names)
    if not classes:
        raise ClassNamesError(f"{source} is empty: give at least one class (one per line, synonyms separated by '; ')")
    if len(classes) > MAX_CLASSES:
        raise ClassNamesError(f"{source} has {len(classes)} classes; at most {MAX_CLASSES} are supported")
    if shared == "error":
        seen, dups = {}, []
        for i, names in enumerate(classes):
            for n in names:
                key = n.lower()
                if key in seen and seen[key] != i:
                    dups.append(n)
                seen.setdefault(key, i)
        if dups:
            raise ClassNamesError(f"{source}: duplicate class names across classes: {', '.join(sorted(set(dups)))}")
    result = ClassNames(tuple(classes))
    owners = result.shared_names
    if owners:
        _warn_shared(result, owners, source)
    return result


def _warn_shared(names: ClassNames, shared: Dict[str, Tuple[int, ...]], source: str) -> None:
    """One :class:`SharedNameWarning` per distinct class list (not per image or per call)."""
    key = (source, names.classes)
    if key in _WARNED:
        return
    _WARNED.add(key)
    pairs = "; ".join(f"{n!r} in classes {', '.join(map(str, o))}" for n, o in sorted(shared.items()))
    lost = names.never_predicted
    what = (f"class{'es' if len(lost) > 1 else ''} {', '.join(f'{i} ({names.names[i]!r})' for i in lost)} can never "
            f"be predicted" if lost else "the later class loses every tie on that name")
    warnings.warn(f"{source}: names shared by two classes: {pairs}. Every query is embedded and ties go to the "
                  f"lower class index (as upstream ProxyCLIP's argmax), so {what}; remove the name from one line "
                  f"to change that", SharedNameWarning, stacklevel=3)


def load_class_names(path: Union[str, Path]) -> ClassNames:
    """Read a class file (UTF-8). Missing or unreadable files raise :class:`ClassNamesError`."""
    p = Path(path)
    if not p.is_file():
        raise ClassNamesError(f"class file {path} not found (one class per line, synonyms separated by '; ')")
    try:
        text = p.read_text(encoding="utf-8-sig")  # drops a byte-order mark
    except (UnicodeDecodeError, OSError) as e:
        raise ClassNamesError(f"class file {path} cannot be read as UTF-8 text: {e}") from None
    return parse_class_names(text, source=f"class file {path}")


def split_class_list(text: str) -> List[str]:
    """Comma-separated classes as typed by a user (``"cat, dog; puppy"``) -> entries."""
    return [t.strip() for t in text.split(",") if t.strip()]
