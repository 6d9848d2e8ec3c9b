"""is_exported: the ONNX files match the weights, without hashing 470 MB at every start."""

import json

import pytest

from askjobs import onnx_export


def _exported(tmp_path, weights=b"poids du modele"):
    model = tmp_path / "modele"
    (model / onnx_export.ONNX_DIR).mkdir(parents=True)
    (model / "model.safetensors").write_bytes(weights)
    for name in onnx_export.FILES.values():
        (model / onnx_export.ONNX_DIR / name).write_bytes(b"onnx")
    info = {"export_version": onnx_export.EXPORT_VERSION, "opset": onnx_export.OPSET,
            "weights_sha256": onnx_export.sha256_file(model / "model.safetensors")}
    (model / onnx_export.ONNX_DIR / onnx_export.INFO_FILE).write_text(json.dumps(info))
    return model


def _info(model):
    return json.loads((model / onnx_export.ONNX_DIR / onnx_export.INFO_FILE).read_text())


def test_the_weights_are_hashed_once_then_recognised_by_their_stat(tmp_path, monkeypatch):
    model = _exported(tmp_path)
    assert "weights_stat" not in _info(model)
    assert onnx_export.is_exported(model)  # hashed, and the stat recorded
    assert _info(model)["weights_stat"] == onnx_export._weights_stat(model)

    def no_hash(path):
        raise AssertionError("hashed again")

    monkeypatch.setattr(onnx_export, "sha256_file", no_hash)
    assert onnx_export.is_exported(model)


def test_rebuilt_weights_are_hashed_and_need_a_new_export(tmp_path):
    model = _exported(tmp_path)
    assert onnx_export.is_exported(model)
    (model / "model.safetensors").write_bytes(b"d'autres poids, plus longs")
    assert not onnx_export.is_exported(model)


def test_the_same_weights_rewritten_are_still_exported(tmp_path):
    model = _exported(tmp_path)
    assert onnx_export.is_exported(model)
    data = (model / "model.safetensors").read_bytes()
    (model / "model.safetensors").unlink()
    (model / "model.safetensors").write_bytes(data)  # new inode and time, same bytes
    assert onnx_export.is_exported(model)


@pytest.mark.parametrize("key, value", [("export_version", -1), ("opset", 1)])
def test_another_export_version_is_not_current(tmp_path, key, value):
    model = _exported(tmp_path)
    info = _info(model)
    info[key] = value
    (model / onnx_export.ONNX_DIR / onnx_export.INFO_FILE).write_text(json.dumps(info))
    assert not onnx_export.is_exported(model)
