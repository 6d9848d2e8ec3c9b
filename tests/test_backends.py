"""Encoder backends: the index records which one made its vectors, and never mixes two."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from askjobs.config import Settings
from askjobs.embed import BACKENDS, make_encoder
from askjobs.index import IndexError_, current_version
from askjobs.pipeline import AskJobs
from conftest import write_corpus
from fakes import FakeEncoder


def _fake(backend: str) -> FakeEncoder:
    enc = FakeEncoder()
    enc.backend = backend
    return enc


def _settings(tmp_path) -> Settings:
    return Settings(corpus_dir=write_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index",
                    chunk_tokens=30, chunk_overlap=5)


def test_the_manifest_records_the_backend(tmp_path):
    app = AskJobs(_settings(tmp_path), _fake("onnx"))
    app.build()
    manifest = json.loads((current_version(tmp_path / "index") / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["backend"] == "onnx"


def test_asking_with_another_backend_is_refused_with_the_fix(tmp_path):
    AskJobs(_settings(tmp_path), _fake("onnx")).build()
    other = AskJobs(_settings(tmp_path), _fake("torch"))
    with pytest.raises(IndexError_) as err:
        other.ask("Quel est le salaire médian ?")
    message = str(err.value)
    assert "'onnx'" in message and "'torch'" in message
    assert "askjobs index --rebuild" in message


def test_askjobs_index_with_another_backend_re_embeds_everything(tmp_path):
    first = AskJobs(_settings(tmp_path), _fake("onnx")).build()
    again = AskJobs(_settings(tmp_path), _fake("onnx")).build()
    assert again.up_to_date
    switched = AskJobs(_settings(tmp_path), _fake("torch"))
    report = switched.build()
    assert not report.up_to_date and report.embedded == first.embedded  # no vector of the old backend kept
    assert switched.ask("Quel est le salaire médian aux États-Unis ?").answerable


def test_an_unknown_backend_is_refused_in_french():
    with pytest.raises(ValueError, match="Backend d'encodage inconnu : 'gpu'"):
        make_encoder(Settings(backend="gpu"))


def test_every_backend_is_built_without_loading_anything():
    for backend in BACKENDS:
        enc = make_encoder(Settings(backend=backend))
        assert enc.backend == backend and enc.fingerprint


# --- Real model -------------------------------------------------------------------

FRENCH = ["Aux États-Unis, le salaire médian pour les postes liés à l'IA est d'environ 157 000 $.",
          "Les éthiciens de l’IA encadrent les usages responsables.",
          "Publié le 2 mars 2025", "M. Dupont estime que la prime atteint 25,2 % pour les profils rares. " * 30]


@pytest.mark.model
def test_onnx_vectors_match_torch_and_int8_stays_close():
    torch_enc = make_encoder(Settings(backend="torch"))
    ref_p, ref_q = torch_enc.encode_passages(FRENCH), torch_enc.encode_queries(FRENCH)
    onnx = make_encoder(Settings(backend="onnx"))
    assert np.min(np.sum(onnx.encode_passages(FRENCH) * ref_p, axis=1)) > 0.9999
    assert np.min(np.sum(onnx.encode_queries(FRENCH) * ref_q, axis=1)) > 0.9999
    int8 = make_encoder(Settings(backend="onnx-int8"))
    assert np.min(np.sum(int8.encode_passages(FRENCH) * ref_p, axis=1)) > 0.98
    # Chunk sizes are counted in tokens: every backend must count alike, or chunk ids would differ.
    for text in FRENCH:
        assert onnx.count_tokens(text) == torch_enc.count_tokens(text)


@pytest.mark.model
def test_asking_with_onnx_never_imports_torch(real_app):
    """The question path of an ONNX backend runs on onnxruntime + tokenizers only."""
    code = (
        "import sys, json\n"
        "from askjobs.config import Settings\n"
        "from askjobs.pipeline import AskJobs\n"
        f"app = AskJobs(Settings(corpus_dir={str(real_app.settings.corpus_dir)!r}, "
        f"index_dir={str(real_app.settings.index_dir)!r}, backend={real_app.encoder.backend!r}))\n"
        "a = app.ask(\"Quel est le salaire médian des postes liés à l'IA aux États-Unis ?\")\n"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'transformers': 'transformers' in sys.modules,"
        " 'answer': a.answer}))\n")
    if not real_app.encoder.backend.startswith("onnx"):
        pytest.skip("the default backend is torch")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["torch"] is False and seen["transformers"] is False
    assert "157 000 $" in seen["answer"]


@pytest.mark.model
def test_a_question_loads_one_tokenizer_and_a_build_the_counting_one_on_demand():
    onnx = make_encoder(Settings(backend="onnx"))
    onnx.encode_queries(["Quel est le salaire médian ?"])
    assert onnx._counter is None  # parsing tokenizer.json a second time cost ~1 s per `askjobs ask`
    long_text = FRENCH[-1]
    assert onnx.count_tokens(long_text) > onnx.max_tokens  # untruncated: a build measures whole texts
