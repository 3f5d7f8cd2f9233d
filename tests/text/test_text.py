import pytest
import torch

from proxyseg.errors import ClassNamesError
from proxyseg.text import OPENAI_IMAGENET_TEMPLATES, TextClassifier, load_class_names, parse_class_names
from proxyseg.text.class_names import split_class_list


def test_parse_synonyms_blank_lines_and_spaces():
    names = parse_class_names("background; sky;wall \n\nperson  \n dog; puppy\n")
    assert names.names == ["background", "person", "dog"]
    assert names.queries == ["background", "sky", "wall", "person", "dog", "puppy"]
    assert names.query_idx == [0, 0, 0, 1, 2, 2]


@pytest.mark.parametrize("text,msg", [
    ("", "is empty"),
    ("\n  \n", "is empty"),
    (";;\n", "has no class name"),
    ("x" * 301, "longer than 300"),
])
def test_bad_class_lists(text, msg):
    with pytest.raises(ClassNamesError, match=msg):
        parse_class_names(text)


def test_load_missing_and_binary_files(tmp_path):
    with pytest.raises(ClassNamesError, match="not found"):
        load_class_names(tmp_path / "nope.txt")
    bad = tmp_path / "bin.txt"
    bad.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ClassNamesError, match="UTF-8"):
        load_class_names(bad)


def test_split_class_list():
    assert split_class_list(" cat, dog; puppy ,, sky") == ["cat", "dog; puppy", "sky"]


def test_templates_are_openai_80():
    assert len(OPENAI_IMAGENET_TEMPLATES) == 80
    assert all(t.count("{}") == 1 for t in OPENAI_IMAGENET_TEMPLATES)
    assert "a bad photo of a {}." in OPENAI_IMAGENET_TEMPLATES


def test_classifier_normalised_cached_in_memory_and_on_disk(tiny_clip, tmp_path):
    model, tok = tiny_clip
    calls = []
    orig = model.encode_text

    def counting(tokens):
        calls.append(tokens.shape[0])
        return orig(tokens)

    model.encode_text = counting
    try:
        clf = TextClassifier(model, tok, ["a photo of a {}.", "a {}."], cache_dir=tmp_path)
        emb = clf.encode(["cat", "dog"])
        assert emb.shape == (2, model.text_projection.shape[1])
        assert torch.allclose(emb.norm(dim=-1), torch.ones(2), atol=1e-5)
        assert sum(calls) == 4
        clf.encode(["cat", "dog"])
        assert sum(calls) == 4  # memory cache
        clf2 = TextClassifier(model, tok, ["a photo of a {}.", "a {}."], cache_dir=tmp_path)
        assert torch.equal(clf2.encode(["cat", "dog"]), emb)
        assert sum(calls) == 4  # disk cache
        assert len(list(tmp_path.glob("*.pt"))) == 1
        # average of normalised template embeddings, re-normalised
        with torch.no_grad():
            e = torch.nn.functional.normalize(orig(tok(["a photo of a cat.", "a cat."])).float(), dim=-1)
        assert torch.allclose(emb[0], torch.nn.functional.normalize(e.mean(0), dim=0), atol=1e-5)
    finally:
        del model.encode_text
