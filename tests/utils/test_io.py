"""Atomic writers: content, umask-respecting mode, no temp files left behind."""
import json
import os
import stat

import pytest

from proxyseg.utils.io import atomic_write_bytes, atomic_write_json, atomic_write_text, default_file_mode


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda m: os.umask(m)
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_mode_follows_umask(tmp_path, umask, mask, mode):
    umask(mask)
    assert default_file_mode() == mode
    for i, write in enumerate((lambda p: atomic_write_bytes(p, b"x"), lambda p: atomic_write_text(p, "x"),
                               lambda p: atomic_write_json(p, {"a": 1}))):
        p = tmp_path / f"f{i}"
        write(p)
        assert stat.S_IMODE(p.stat().st_mode) == mode
    assert os.umask(mask) == mask  # reading the umask did not change it


def test_content_replaces_and_creates_parents(tmp_path, umask):
    p = tmp_path / "a" / "b" / "r.json"
    atomic_write_json(p, {"miou": 0.5, "name": "ü"})
    assert json.loads(p.read_text(encoding="utf-8")) == {"miou": 0.5, "name": "ü"}
    assert p.read_text().endswith("\n")
    atomic_write_text(p, "new")
    assert p.read_text() == "new"
    assert sorted(x.name for x in p.parent.iterdir()) == ["r.json"]


def test_failure_keeps_old_file_and_no_temp(tmp_path, umask):
    p = tmp_path / "r.json"
    p.write_text("old")
    with pytest.raises(ValueError):
        atomic_write_json(p, {"x": float("nan")})
    with pytest.raises(TypeError):
        atomic_write_bytes(p, "not bytes")
    assert p.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["r.json"]
