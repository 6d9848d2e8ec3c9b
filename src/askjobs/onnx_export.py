"""Export a local sentence-transformers model to ONNX (fp32 and dynamic int8), next to its weights.

Runs once at setup (`make model`): torch's own exporter writes `onnx/model.onnx` (the transformer,
outputting token vectors; pooling and normalisation are done in numpy by `embed.OnnxEncoder`), then
onnxruntime's dynamic quantisation writes `onnx/model_int8.onnx`. Nothing is downloaded. The export
records which weights it came from, so a rebuilt model is re-exported.

Usage: ``python -m askjobs.onnx_export MODEL_DIR [--force]``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .files import sha256_file

ONNX_DIR = "onnx"
FILES = {"onnx": "model.onnx", "onnx-int8": "model_int8.onnx"}
INFO_FILE = "export.json"
EXPORT_VERSION = 2  # bump when the exported graphs change (2: int8 per channel, FFN outputs fp32)
OPSET = 17


def _weights_file(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    raise FileNotFoundError(f"{model_dir} ne contient pas de poids (model.safetensors) à exporter en ONNX")


def _expected_info(model_dir: Path) -> dict:
    return {"export_version": EXPORT_VERSION, "opset": OPSET,
            "weights_sha256": sha256_file(_weights_file(model_dir))}


def _weights_stat(model_dir: Path) -> list[int]:
    """Size, modification time and inode of the weights: any rewrite of the file changes one of them."""
    st = _weights_file(model_dir).stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def is_exported(model_dir: str | Path) -> bool:
    """True when both ONNX files exist and were exported from the weights now in `model_dir`.

    The weights (470 MB) are hashed only when their size, time or inode differ from those recorded
    at the last full check: hashing them at every start cost 0.3-1.5 s of each `askjobs ask`."""
    model_dir = Path(model_dir)
    folder = model_dir / ONNX_DIR
    try:
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not all((folder / f).is_file() for f in FILES.values()):
        return False
    if any(info.get(k) != v for k, v in (("export_version", EXPORT_VERSION), ("opset", OPSET))):
        return False
    try:
        stat = _weights_stat(model_dir)
    except FileNotFoundError:
        return False
    if info.get("weights_stat") == stat:
        return True
    if info.get("weights_sha256") != _expected_info(model_dir)["weights_sha256"]:
        return False
    info["weights_stat"] = stat  # the same weights, rewritten or copied: remember the new stat
    try:
        (folder / INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    except OSError:  # a read-only model folder: hash again next time
        pass
    return True


def check_pooling(model_dir: Path) -> None:
    """The ONNX encoder reproduces mean pooling + L2 normalisation only; refuse anything else."""
    pooling = model_dir / "1_Pooling" / "config.json"
    if pooling.is_file():
        cfg = json.loads(pooling.read_text(encoding="utf-8"))
        if not cfg.get("pooling_mode_mean_tokens") or not cfg.get("include_prompt", True):
            raise ValueError(f"le modèle {model_dir} n'utilise pas une moyenne des jetons (mean pooling) : "
                             "utilisez ASKJOBS_BACKEND=torch pour ce modèle")


def export(model_dir: str | Path, *, force: bool = False) -> Path:
    """Write MODEL_DIR/onnx/{model.onnx, model_int8.onnx, export.json}; skip when up to date."""
    model_dir = Path(model_dir).expanduser().resolve()
    out = model_dir / ONNX_DIR
    if not force and is_exported(model_dir):
        return out
    check_pooling(model_dir)
    info = _expected_info(model_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.tmp-", dir=model_dir))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the model folder is readable by all
    try:
        _export_fp32(model_dir, tmp / FILES["onnx"])
        _quantize(tmp / FILES["onnx"], tmp / FILES["onnx-int8"])
        import onnxruntime
        import torch

        info.update({"weights_stat": _weights_stat(model_dir),
                     "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
                     "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        (tmp / INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _export_fp32(model_dir: Path, dst: Path) -> None:
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    # Eager attention traces to plain MatMul/Softmax ops that onnxruntime fuses and quantises well.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # A padded batch, so the traced graph keeps the attention mask (an all-ones mask may be optimised away).
    ids = torch.tensor([[0, 100, 200, 300, 2], [0, 100, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(TokenVectors(model), (ids, mask), str(dst), input_names=["input_ids", "attention_mask"],
                          output_names=["token_vectors"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_vectors": axes})


def _quantize(src: Path, dst: Path) -> None:
    """Dynamic int8 of the matrix products, one scale per output channel, except each layer's FFN output.

    Measured on PIAF dev and CNIL dev (dense retrieval, 1784 + 270 questions): quantising every op
    lost 0.02 R@1 and R@5; per-channel MatMuls only, 0.013 R@1; keeping the 12 FFN output projections
    (1536 → 384, the layer with outlier activations) in fp32 brings passage vectors to cosine 0.999
    of fp32, at the same speed.
    """
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(src), load_external_data=False).graph
    ffn_out = [n.name for n in graph.node if n.op_type == "MatMul" and n.name.endswith("/output/dense/MatMul")
               and "/attention/" not in n.name]
    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic suggests a pre-processing step we skip
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"], nodes_to_exclude=ffn_out)


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m askjobs.onnx_export MODEL_DIR [--force]``."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m askjobs.onnx_export", description=main.__doc__)
    ap.add_argument("model_dir", help="local sentence-transformers model folder")
    ap.add_argument("--force", action="store_true", help="export again even if up to date")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        out = export(args.model_dir, force=args.force)
    except (OSError, ValueError) as exc:
        print(f"askjobs : export ONNX impossible : {exc}", file=sys.stderr)
        return 1
    sizes = ", ".join(f"{f} {(out / f).stat().st_size / 2**20:.0f} Mo" for f in FILES.values())
    print(f"ONNX prêt dans {out} ({sizes}, {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
