"""Upstream ProxyCLIP's own class files load and behave as upstream; BOM and control characters.

Upstream (mc-lan/ProxyCLIP:proxyclip_segmentor.py) reads a class file with ``readlines()``, splits
each line on ``'; '``, embeds every query, and post-processes with ``softmax(logit_scale * logits)``
over queries, the maximum over each class's queries (``one_hot`` product), ``argmax`` (ties -> lower
index) and ``prob_thd`` -> class 0. ``upstream_*`` below restate that, written from reading it.
"""
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from proxyseg.errors import ClassNamesError
from proxyseg.text import TextClassifier, load_class_names, parse_class_names
from proxyseg.text.class_names import SharedNameWarning

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"

FILES = ["cls_ade20k.txt", "cls_ade20k847.txt", "cls_city_scapes.txt", "cls_coco_object.txt", "cls_coco_stuff.txt",
         "cls_context459.txt", "cls_context59.txt", "cls_context60.txt", "cls_voc20.txt", "cls_voc21.txt"]


def upstream_file(name):
    path = REFERENCE / "class_names" / name
    if not path.is_file():
        pytest.skip(f"upstream class file {path} not found (only present in the project workspace)")
    return path


def upstream_cls_idx(path):
    """Upstream's ``get_cls_idx``: queries and their class indices."""
    with open(path, "r", encoding="utf-8") as f:
        lines = f.readlines()
    queries, idx = [], []
    for i, line in enumerate(lines):
        names = line.split("; ")
        queries += [n.replace("\n", "") for n in names]
        idx += [i] * len(names)
    return queries, idx


def upstream_postprocess(logits, query_idx, logit_scale, prob_thd):
    probs = (logits * logit_scale).softmax(0)
    q_idx = torch.tensor(query_idx)
    num_cls = int(q_idx.max()) + 1
    if num_cls != len(query_idx):
        one_hot = F.one_hot(q_idx).T.view(num_cls, len(query_idx), 1, 1)
        probs = (probs.unsqueeze(0) * one_hot).max(1)[0]
    pred = probs.argmax(0, keepdim=True)
    pred[probs.max(0, keepdim=True)[0] < prob_thd] = 0
    return probs, pred[0]


@pytest.fixture(scope="module")
def tokenizer():
    import open_clip

    return open_clip.SimpleTokenizer()


@pytest.mark.parametrize("name", FILES)
def test_upstream_file_loads_with_upstreams_queries(name, tokenizer):
    path = upstream_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SharedNameWarning)
        ours = load_class_names(path)
    queries, idx = upstream_cls_idx(path)
    assert ours.query_idx == idx
    assert len(ours) == max(idx) + 1
    assert [q.strip() for q in queries] == ours.queries
    for theirs, mine in zip(queries, ours.queries):
        if theirs != mine:  # e.g. Context60's 'wood ': the tokenizer drops the whitespace, same tokens
            for template in ("a photo of a {}.", "itap of the {}."):
                assert torch.equal(tokenizer([template.format(theirs)]), tokenizer([template.format(mine)]))


@pytest.mark.parametrize("name", FILES)
def test_postprocess_is_upstreams(name, make_segmenter):
    path = upstream_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SharedNameWarning)
        names = load_class_names(path)
    seg = make_segmenter(classes=["a", "b"], method="clip", prob_thd=0.25)
    seg.text.encode = lambda q: torch.zeros(len(q), 32)  # only postprocess is under test here
    seg.set_classes(names)
    torch.manual_seed(0)
    # logits as the model makes them: the same name gives the same row
    unique = list(dict.fromkeys(names.queries))
    base = torch.randn(len(unique), 6, 7) * 0.1
    logits = base[[unique.index(q) for q in names.queries]]
    probs, mask = seg.postprocess(logits)
    ref_probs, ref_mask = upstream_postprocess(logits, names.query_idx, seg.logit_scale, seg.prob_thd)
    assert torch.equal(probs, ref_probs)
    assert torch.equal(mask, ref_mask)


def test_bed_is_never_predicted_as_upstream(make_segmenter, monkeypatch):
    """COCO-Object: 'bed' is a background synonym and class 60. Even where 'bed' is the best query,
    background (index 0) wins the tie, as upstream's argmax; the file is read, warned about once."""
    from proxyseg.text import class_names

    path = upstream_file("cls_coco_object.txt")
    monkeypatch.setattr(class_names, "_WARNED", set())  # earlier tests read the file too
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        names = load_class_names(path)
        load_class_names(path)  # again: no second warning
    shared = [r for r in rec if issubclass(r.category, SharedNameWarning)]
    assert len(shared) == 1
    msg = str(shared[0].message)
    assert "'bed'" in msg and "class 60 ('bed') can never be predicted" in msg and "remove" in msg
    assert names.never_predicted == [60] and names.shared_names == {"bed": (0, 60)}

    seg = make_segmenter(classes=["a"], method="clip", prob_thd=0.25)
    seg.set_classes(names)  # upstream's file, read as it is
    bed = [i for i, q in enumerate(names.queries) if q == "bed"]
    assert len(bed) == 2 and len(names.queries) == 97  # every query embedded
    assert torch.equal(seg.query_features[bed[0]], seg.query_features[bed[1]])

    # where 'bed' is the best query by far: background, never 60
    logits = torch.randn(len(names.queries), 5, 5) * 0.01
    logits[bed] = 1.0
    probs, mask = seg.postprocess(logits)
    assert (mask == 0).all() and torch.equal(probs[60], probs[0])

    # end to end on an image: the model's logits for the two 'bed' queries are identical
    torch.manual_seed(1)
    image = seg.normalize(torch.rand(1, 3, 80, 96))[0]
    raw = seg.predict_logits(image)
    assert torch.equal(raw[bed[0]], raw[bed[1]])
    probs, mask = seg.postprocess(raw)
    assert (mask != 60).all() and (probs[60] <= probs[0]).all()
    ref_probs, ref_mask = upstream_postprocess(raw, names.query_idx, seg.logit_scale, seg.prob_thd)
    assert torch.equal(mask, ref_mask) and torch.equal(probs, ref_probs)


def test_partly_shared_class_can_still_win():
    with pytest.warns(SharedNameWarning, match="loses every tie"):
        names = parse_class_names(["sky; sea", "sea; ocean"], source="partly shared")
    assert names.never_predicted == [] and names.shared_names == {"sea": (0, 1)}


def test_duplicate_queries_get_bit_identical_embeddings(tiny_clip):
    tc = TextClassifier(*tiny_clip, templates=["a photo of a {}.", "a {}."], batch_size=3)
    emb = tc.encode(["cat", "dog", "bird", "cat"])
    assert emb.shape[0] == 4 and torch.equal(emb[0], emb[3]) and not torch.equal(emb[0], emb[1])
    assert torch.allclose(emb[:3], tc.encode(["cat", "dog", "bird"]), atol=1e-6)


# ----------------------------------------------------------------------------- BOM, control characters


def test_utf8_bom_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffbackground; sky\ncat\n".encode("utf-8"))
    assert load_class_names(path).names == ["background", "cat"]
    assert parse_class_names("\ufeffcat\ndog").names == ["cat", "dog"]


@pytest.mark.parametrize("bad", ["\x1e", "\x00", "\t", "\x85"])  # a lone \r is a line break in files
def test_control_characters_are_refused(tmp_path, bad):
    path = tmp_path / "ctrl.txt"
    path.write_text(f"background\nca{bad}t; kitty\ndog\n", encoding="utf-8")
    with pytest.raises(ClassNamesError, match=r"ctrl\.txt: line 2 .*control character.*U\+00.*delete it"):
        load_class_names(path)
    with pytest.raises(ClassNamesError, match="line 1 .*control character"):
        parse_class_names([f"a{bad}b"])


def test_typed_lists_may_refuse_shared_names():
    """Files are read as upstream reads them; a list a user types (API, CLI, web) refuses a repeat."""
    with pytest.warns(SharedNameWarning):
        assert len(parse_class_names("cat\ndog\ncat", source="typed twice")) == 3
    with pytest.raises(ClassNamesError, match="duplicate class names across classes: Cat"):
        parse_class_names(["cat; dog", "Cat"], shared="error")
