"""Text-embedding cache keys (issue 17.4): no collisions, corrupt files ignored and rewritten."""
import copy

import pytest
import torch

from proxyseg.errors import ClassNamesError
from proxyseg.text import TextClassifier

TEMPLATES = ["a photo of a {}.", "a {}."]


@pytest.fixture
def counted(tiny_clip):
    """(model, tokenizer, calls): ``calls`` grows with each prompt the text tower encodes."""
    model, tok = tiny_clip
    calls = []
    orig = model.encode_text
    model.encode_text = lambda tokens: (calls.append(tokens.shape[0]), orig(tokens))[1]
    yield model, tok, calls
    del model.encode_text


def test_separator_in_names_never_shares_an_entry(counted, tmp_path):
    """Old key joined names with \\x1e: ["a\\x1eb"] and ["a", "b"] collided; now JSON-encoded."""
    model, tok, _ = counted
    clf = TextClassifier(model, tok, TEMPLATES, cache_dir=tmp_path)
    pairs = [(["a\x1eb"], ["a", "b"]), (["a\x1fb"], ["a", "b"]), (["a b", "c"], ["a", "b c"]), (["a, b"], ["a", "b"]), (['a", "b'], ["a", "b"]),
             (["cat"], ["cat "]), (["x"], ["x", "x"])]
    for a, b in pairs:
        assert clf._key(a) != clf._key(b)
        assert clf.key_payload(a) != clf.key_payload(b)
    ea, eb = clf.encode(["a b", "c"]), clf.encode(["a", "b c"])
    assert not torch.allclose(ea, eb)
    assert len(list(tmp_path.glob("*.pt"))) == 2
    # a fresh classifier (no memory) gets each list's own embeddings back from disk
    clf2 = TextClassifier(model, tok, TEMPLATES, cache_dir=tmp_path)
    assert torch.equal(clf2.encode(["a", "b c"]), eb)
    assert torch.equal(clf2.encode(["a b", "c"]), ea)


def test_control_characters_refused(counted):
    model, tok, calls = counted
    clf = TextClassifier(model, tok, TEMPLATES)
    for bad in ["a\x1eb", "cat\n", "dog\tpuppy", "x\x00"]:
        with pytest.raises(ClassNamesError, match=r"contains control character\(s\) U\+00"):
            clf.encode(["sky", bad])
    assert calls == []


def test_key_covers_templates_weights_and_model(counted, tmp_path):
    model, tok, _ = counted
    base = TextClassifier(model, tok, TEMPLATES)._key(["cat"])
    assert TextClassifier(model, tok, TEMPLATES[:1])._key(["cat"]) != base
    changed = copy.deepcopy(model)
    del changed.encode_text  # the deep copy carries the counting wrapper of the original
    with torch.no_grad():  # a change deep inside the text transformer, embeddings untouched
        p = dict(changed.named_parameters())["transformer.resblocks.0.mlp.c_fc.weight"]
        p[-1, -1] += 1.0
    assert TextClassifier(changed, tok, TEMPLATES)._key(["cat"]) != base
    visual = copy.deepcopy(model)
    del visual.encode_text
    with torch.no_grad():  # the image tower does not change text embeddings: same entry
        next(visual.visual.parameters()).add_(1.0)
    assert TextClassifier(visual, tok, TEMPLATES)._key(["cat"]) == base


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "wrong_key"])
def test_corrupt_cache_file_ignored_and_rewritten(counted, tmp_path, damage, caplog):
    model, tok, calls = counted
    emb = TextClassifier(model, tok, TEMPLATES, cache_dir=tmp_path).encode(["cat", "dog"])
    (path,) = tmp_path.glob("*.pt")
    good = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00not a torch file" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a valid file stored under this name for another class list
        other = TextClassifier(model, tok, TEMPLATES, cache_dir=tmp_path / "o")
        other.encode(["cat", "bird"])
        path.write_bytes(next((tmp_path / "o").glob("*.pt")).read_bytes())
    n = sum(calls)
    out = TextClassifier(model, tok, TEMPLATES, cache_dir=tmp_path).encode(["cat", "dog"])
    assert sum(calls) == n + 4  # recomputed (2 names x 2 templates), not read from the bad file
    assert torch.allclose(out, emb, atol=1e-6)
    assert "recomputing" in caplog.text
    entry = torch.load(path, weights_only=True)  # rewritten: a valid entry again
    assert torch.equal(entry["embeddings"], out)
    again = TextClassifier(model, tok, TEMPLATES, cache_dir=tmp_path).encode(["cat", "dog"])
    assert sum(calls) == n + 4 and torch.equal(again, out)
