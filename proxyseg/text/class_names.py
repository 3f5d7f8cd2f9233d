"""Class-name files: one class per line, synonyms separated by ``;`` (upstream uses ``'; '``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Union

from ..errors import ClassNamesError

MAX_CLASSES = 1000
MAX_NAME_LEN = 100


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


def parse_class_names(entries: Union[str, Sequence[str]], source: str = "class list") -> ClassNames:
    """Parse lines (or a comma-free list of entries) into :class:`ClassNames`.

    Blank lines and surrounding spaces are ignored; synonyms are split on ``;``. Empty lists,
    empty synonyms, over-long names and duplicate names raise :class:`ClassNamesError`.
    """
    if isinstance(entries, str):
        entries = entries.splitlines()
    classes = []
    for lineno, line in enumerate(entries, 1):
        if not isinstance(line, str):
            raise ClassNamesError(f"{source}: entry {lineno} is {type(line).__name__}, not text")
        line = line.strip()
        if not line:
            continue
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
    seen, dups = {}, []
    for i, names in enumerate(classes):
        for n in names:
            key = n.lower()
            if key in seen and seen[key] != i:
                dups.append(n)
            seen.setdefault(key, i)
    if dups:
        raise ClassNamesError(f"{source}: duplicate class names across classes: {', '.join(sorted(set(dups)))}")
    return ClassNames(tuple(classes))


def load_class_names(path: Union[str, Path]) -> ClassNames:
    """Read a class file (UTF-8). Missing or unreadable files raise :class:`ClassNamesError`."""
    p = Path(path)
    if not p.is_file():
        raise ClassNamesError(f"class file {path} not found (one class per line, synonyms separated by '; ')")
    try:
        text = p.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as e:
        raise ClassNamesError(f"class file {path} cannot be read as UTF-8 text: {e}") from None
    return parse_class_names(text, source=f"class file {path}")


def split_class_list(text: str) -> List[str]:
    """Comma-separated classes as typed by a user (``"cat, dog; puppy"``) -> entries."""
    return [t.strip() for t in text.split(",") if t.strip()]
