"""configs/_base_/class_names/*.txt: format, counts, derivation from MMSeg metadata, upstream parity.

Our files are written from MMSeg's ``METAINFO['classes']`` with upstream ProxyCLIP's conventions
(data/README.md, "Class-name files"); upstream's files (``../shared/reference/class_names``) are
only compared with, never copied. Deliberate differences from upstream are listed below.
Upstream's ``cls_context60.txt`` ends in ``'wood '`` (trailing space); names are compared after
stripping, as our parser reads them.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest

REPO = Path(__file__).resolve().parents[1]
CLASS_DIR = REPO / "configs" / "_base_" / "class_names"
DATASET_DIR = REPO / "configs" / "_base_" / "datasets"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

EXPECTED_COUNTS = {
    "coco_stuff.txt": 171, "coco_object.txt": 81, "voc21.txt": 21, "voc20.txt": 20,
    "context60.txt": 60, "context59.txt": 59, "ade20k.txt": 150, "cityscapes.txt": 19,
    "context459.txt": 459, "ade847.txt": 847, "coco_object_paper.txt": 81,
}
#: files kept exactly as upstream's (paper protocol, docs/protocols.md): duplicates allowed
AS_UPSTREAM = {"coco_object_paper.txt"}
#: our file -> upstream ProxyCLIP's file in the reference folder
UPSTREAM = {
    "coco_stuff.txt": "cls_coco_stuff.txt", "coco_object.txt": "cls_coco_object.txt",
    "voc21.txt": "cls_voc21.txt", "voc20.txt": "cls_voc20.txt", "context60.txt": "cls_context60.txt",
    "context59.txt": "cls_context59.txt", "ade20k.txt": "cls_ade20k.txt", "cityscapes.txt": "cls_city_scapes.txt",
    "context459.txt": "cls_context459.txt", "ade847.txt": "cls_ade20k847.txt",
    "coco_object_paper.txt": "cls_coco_object.txt",
}
#: (file, line index) -> first names where ours differs from upstream on purpose (none so far)
KNOWN_FIRST_NAME_DIFFERENCES: Dict[tuple, tuple] = {}
#: (file, line index) -> synonyms upstream has and we leave out, with the reason
KNOWN_SYNONYM_DIFFERENCES = {
    # upstream's background line holds 'bed', which is also COCO-Object class 60: the two queries
    # tie and argmax picks background, so upstream can never predict 'bed'. Our parser reads
    # upstream's file as it is (tests/text/test_upstream_class_files.py); our own file leaves it out.
    ("coco_object.txt", 0): {"bed"},
}
VOC_RENAMES = {"boat": "ship", "diningtable": "table"}  # upstream's VOC names


def read_lines(path: Path) -> List[str]:
    return path.read_text(encoding="utf-8").splitlines()


def synonyms(line: str) -> List[str]:
    return [n.strip() for n in line.split("; ")]


def first_names(path: Path) -> List[str]:
    return [synonyms(line)[0] for line in read_lines(path) if line.strip()]


def upstream_file(ours: str) -> Path:
    path = REFERENCE / "class_names" / UPSTREAM[ours]
    if not path.is_file():
        pytest.skip(f"upstream class files not found at {path.parent} (only present in the project workspace)")
    return path


# ----------------------------------------------------------------------------- format


#: the folder dataset's placeholder (its real class file is <data_root>/classes.txt): not a benchmark's list
FOLDER_PLACEHOLDER = "folder_placeholder.txt"


def test_the_expected_files_exist():
    assert sorted(p.name for p in CLASS_DIR.glob("*.txt") if p.name != FOLDER_PLACEHOLDER) == sorted(EXPECTED_COUNTS)


@pytest.mark.parametrize("name,count", sorted(EXPECTED_COUNTS.items()))
def test_count_and_format(name, count):
    text = (CLASS_DIR / name).read_text(encoding="utf-8")
    assert text.endswith("\n") and not text.endswith("\n\n"), "one trailing newline"
    text.encode("ascii")  # plain names only
    lines = text.splitlines()
    assert len(lines) == count
    for i, line in enumerate(lines, 1):
        assert line.strip(), f"line {i} is empty"
        assert line == line.strip(), f"line {i} has surrounding spaces"
        assert not re.search(r"\s;|;(?! \S)|;  ", line), f"line {i}: synonyms must be separated by exactly '; '"
        assert all(synonyms(line)), f"line {i} has an empty synonym"
        assert "\t" not in line


@pytest.mark.parametrize("name", sorted(set(EXPECTED_COUNTS) - AS_UPSTREAM))
def test_no_duplicate_names(name):
    names = [n.lower() for line in read_lines(CLASS_DIR / name) for n in synonyms(line)]
    dups = sorted({n for n in names if names.count(n) > 1})
    assert not dups, f"{name}: duplicate names {dups}"


# upstream's ADE847 names keep WordNet synonym lists (line 80: 113 characters; the parser allows 300)
@pytest.mark.parametrize("name,count", [(k, v) for k, v in sorted(EXPECTED_COUNTS.items()) if k not in AS_UPSTREAM])
def test_our_parser_reads_them(name, count):
    from proxyseg.text.class_names import load_class_names

    classes = load_class_names(CLASS_DIR / name)
    assert len(classes) == count
    assert classes.names == first_names(CLASS_DIR / name)


def test_background_lines():
    """Class 0 of COCO-Object and VOC21 is queried with several stuff names; Context60 says 'background'."""
    assert len(synonyms(read_lines(CLASS_DIR / "coco_object.txt")[0])) == 16
    assert len(synonyms(read_lines(CLASS_DIR / "voc21.txt")[0])) == 26
    assert read_lines(CLASS_DIR / "context60.txt")[0] == "background"
    assert read_lines(CLASS_DIR / "voc21.txt")[1:] == read_lines(CLASS_DIR / "voc20.txt")
    assert read_lines(CLASS_DIR / "context60.txt")[1:] == read_lines(CLASS_DIR / "context59.txt")
    # the paper file is upstream's: 'bed' both on the background line and as class 60
    paper = read_lines(CLASS_DIR / "coco_object_paper.txt")
    assert "bed" in synonyms(paper[0]) and paper[60] == "bed" and paper[1:] == read_lines(CLASS_DIR / "coco_object.txt")[1:]


# ----------------------------------------------------------------------------- MMSeg metadata


@pytest.fixture(scope="module")
def mmseg_datasets():
    return pytest.importorskip("mmseg.datasets")


def _joined(names) -> List[str]:
    return [n.strip().replace(" ", "") for n in names]


def test_derived_from_mmseg_metadata(mmseg_datasets):
    D = mmseg_datasets
    coco = D.COCOStuffDataset.METAINFO["classes"]
    voc = [VOC_RENAMES.get(n, n) for n in D.PascalVOCDataset.METAINFO["classes"][1:]]
    expected = {
        "coco_stuff.txt": _joined(coco),
        "coco_object.txt": list(coco[:80]),  # after the background line, spaces kept
        "voc21.txt": voc,
        "voc20.txt": voc,
        "context60.txt": _joined(D.PascalContextDataset.METAINFO["classes"]),
        "context59.txt": _joined(D.PascalContextDataset59.METAINFO["classes"]),
        "ade20k.txt": _joined(D.ADE20KDataset.METAINFO["classes"]),
        "cityscapes.txt": _joined(D.CityscapesDataset.METAINFO["classes"]),
    }
    for name, names in expected.items():
        ours = first_names(CLASS_DIR / name)
        if name in ("coco_object.txt", "voc21.txt"):
            ours = ours[1:]  # the background line
        assert ours == names, name


# ----------------------------------------------------------------------------- upstream parity


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_same_count_and_order_as_upstream(name):
    theirs = first_names(upstream_file(name))
    ours = first_names(CLASS_DIR / name)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if (name, i) in KNOWN_FIRST_NAME_DIFFERENCES:
            assert (a, b) == KNOWN_FIRST_NAME_DIFFERENCES[(name, i)]
        else:
            assert a == b, f"{name} line {i + 1}: ours {a!r}, upstream {b!r}"


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_same_synonyms_as_upstream(name):
    theirs = [line for line in read_lines(upstream_file(name)) if line.strip()]
    ours = read_lines(CLASS_DIR / name)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        removed = set() if name in AS_UPSTREAM else KNOWN_SYNONYM_DIFFERENCES.get((name, i), set())
        assert synonyms(a) == [n for n in synonyms(b) if n not in removed], f"{name} line {i + 1}"
        assert set(synonyms(b)) - set(synonyms(a)) == removed


# ----------------------------------------------------------------------------- dataset configs


@pytest.mark.parametrize("config", sorted(p.name for p in DATASET_DIR.glob("*.py")
                                          if not p.name.startswith("_") and p.name != "folder.py"))
def test_dataset_config_class_file_matches_dataset(config, mmseg_datasets):
    """Each dataset base names a class file with as many lines as its dataset has classes.

    ``_*.py`` are the pieces the dataset bases share (``_ovss_eval.py``, ``_coco.py``...), not datasets.
    """
    from mmengine.config import Config
    from mmseg.registry import DATASETS

    import proxyseg.mmseg.datasets  # noqa: F401  (registers COCOObjectDataset, PascalVOC20Dataset)

    cfg = Config.fromfile(str(DATASET_DIR / config))
    path = REPO / cfg.class_names
    assert path.is_file(), cfg.class_names
    cls = DATASETS.get(cfg.test_dataloader.dataset.type)
    assert cls is not None
    assert len(read_lines(path)) == len(cls.METAINFO["classes"])
