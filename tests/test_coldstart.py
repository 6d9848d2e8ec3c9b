"""Cold start: what a fresh `askjobs` process imports, how it ends, and a chat page served while loading."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request

import pytest
from app_support import ROOT, SALARY_DOC, free_port, load_app_module
from fakes import FakeEncoder

from askjobs.config import Settings
from askjobs.pipeline import AskJobs

HEAVY = ("gradio", "torch", "transformers", "sentence_transformers", "spacy", "faiss", "onnxruntime", "tokenizers",
         "bm25s", "wordfreq", "simplemma")
QUESTION = "Quel est le salaire médian des postes liés à l'IA aux États-Unis ?"


def _imported(code: str) -> list[str]:
    check = f"\nimport json, sys; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code + check], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_cli_and_its_parser_import_no_heavy_library():
    """`askjobs --help` or a mistyped option answers at once: nothing heavy before a command needs it."""
    assert _imported("from askjobs import cli; cli.build_parser().parse_args(['ask', 'Salaire ?'])") == []


def test_the_chat_module_imports_neither_gradio_nor_a_model():
    code = ("import importlib.util; spec = importlib.util.spec_from_file_location('a', 'app.py'); "
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)")
    assert _imported(code) == []


def test_a_command_ending_the_process_at_once_still_writes_all_its_output_to_a_pipe():
    """exit_now skips freeing the model and index, never the output: 200 kB printed, 200 kB read, exit code kept."""
    code = "from askjobs import cli; print('é' * 100_000, end=''); cli.exit_now(3)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 3
    assert done.stdout.decode("utf-8") == "é" * 100_000


def test_faiss_uses_one_thread_in_every_thread_that_asks_not_only_the_first():
    """The chat answers in Gradio's worker threads: OpenMP's limit is per thread, so each one sets it."""
    faiss = pytest.importorskip("faiss")
    from askjobs.threads import configure_threads

    seen = []

    def ask_here():
        configure_threads()
        seen.append(faiss.omp_get_max_threads())

    for _ in range(2):
        worker = threading.Thread(target=ask_here)
        worker.start()
        worker.join()
    assert seen == [1, 1]


def _corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "salaires.txt").write_text(SALARY_DOC, encoding="utf-8")
    AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder()).build()
    return corpus


def _component(config: dict, elem_id: str) -> dict:
    return next(c["props"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id)


def test_the_page_is_served_while_loading_and_a_question_asked_meanwhile_is_answered_once_loaded(tmp_path):
    gradio_client = pytest.importorskip("gradio_client")
    m = load_app_module()
    corpus = _corpus(tmp_path)
    fresh = AskJobs(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEncoder())  # nothing loaded
    gate = threading.Event()

    class HeldStartup(m.Startup):  # loading that lasts until the test says so
        def _run(self):
            gate.wait(60)
            super()._run()

    startup = HeldStartup(fresh, log=lambda message: None).start()
    demo = m.create_app(fresh, feedback_path=tmp_path / "feedback.jsonl", startup=startup)
    port = free_port()
    m.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        with urllib.request.urlopen(url + "config", timeout=30) as r:
            config = json.loads(r.read())
        assert "Chargement" in _component(config, "askjobs-corpus")["value"]
        assert "Chargement du modèle et de l'index" in _component(config, "askjobs-chat")["placeholder"]

        client = gradio_client.Client(url, verbose=False)
        job = client.submit(QUESTION, 3, api_name="/ask")
        finished = threading.Event()
        job.add_done_callback(lambda _: finished.set())
        assert not finished.wait(1.0), "answered before the index was loaded"
        assert not startup.ready
        gate.set()
        result = job.result(timeout=120)
        assert startup.ready and result["answerable"] and "157 000 $" in result["answer"]
    finally:
        gate.set()
        demo.close()


def test_the_chat_stops_with_a_french_message_when_its_index_cannot_be_prepared(tmp_path, capsys):
    """The page opens first; when preparing the index then fails, the server stops with exit code 2."""
    m = load_app_module()
    empty = tmp_path / "vide"
    empty.mkdir()
    code = m.main(["--port", str(free_port()), "--corpus", str(empty), "--index", str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert code == 2
    assert "askjobs : " in err and "ne contient aucun document" in err and "Traceback" not in err


@pytest.mark.model
def test_askjobs_ask_from_the_command_line_prints_the_whole_answer_and_imports_no_torch_gradio_or_spacy(real_app):
    s = real_app.settings
    args = ["ask", "--corpus", str(s.corpus_dir), "--index", str(s.index_dir), QUESTION]
    done = subprocess.run([sys.executable, "-m", "askjobs.cli", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "157 000 $" in done.stdout and "Sources :" in done.stdout and done.stdout.rstrip().endswith("ms)")
    if real_app.encoder.backend.startswith("onnx"):
        loaded = _imported(f"from askjobs import cli; assert cli.main({args!r}) == 0")
        assert not {"gradio", "torch", "transformers", "sentence_transformers", "spacy"} & set(loaded)


def test_the_french_word_frequencies_are_wordfreqs_own_to_the_last_bit_without_importing_wordfreq():
    """The frequency list is read from wordfreq's data file (its import costs a cold start 0.15 s):
    the same words with the same zipf values, so glued words are split exactly as before."""
    code = "from askjobs import text; text.load_lexicon(); import sys; assert 'wordfreq' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    import math

    from wordfreq import get_frequency_dict

    from askjobs import text

    theirs = {w: math.log10(f) + 9 for w, f in get_frequency_dict("fr", wordlist="best").items()}
    assert text._word_frequencies() == theirs
    assert text.unglue("Voiciquelques règles simplesà respecter") == "Voici quelques règles simples à respecter"


def test_the_chat_imports_gradio_without_rereading_its_sources_to_write_type_stubs():
    """Gradio rewrites the `.pyi` stubs of its ~80 components at each import (0.9 s of CPU, the GIL held
    while the model loads); the chat's import skips that, and the page still builds (test_app_ui)."""
    code = ("import pathlib, sys; sys.path.insert(0, '.')\n"
            "read = []\n"
            "original = pathlib.Path.read_text\n"
            "def spy(self, *a, **k):\n"
            "    read.append(self.name)\n"
            "    return original(self, *a, **k)\n"
            "pathlib.Path.read_text = spy\n"
            "import app\n"
            "gr = app._gradio()\n"
            "assert gr.Textbox and gr.Blocks\n"
            "print(len([n for n in read if n.endswith(('.py', '.pyi'))]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0"


def test_the_onnx_tokenizer_loads_while_the_session_is_built_and_its_error_still_wins(tmp_path, monkeypatch):
    """onnxruntime builds its session without the GIL: the tokenizer loads beside it, not before it."""
    from askjobs import embed

    tokenizer_loaded = threading.Event()

    def load_tokenizer(self):
        self._tokenizer = "tokenizer"
        tokenizer_loaded.set()

    def load_session(self, kind):
        # One after the other, the tokenizer would not be loaded yet: this waits for it in parallel.
        assert tokenizer_loaded.wait(timeout=30), "the tokenizer did not load while the session was built"
        return f"session {kind}"

    monkeypatch.setattr(embed.OnnxEncoder, "_load_tokenizer", load_tokenizer)
    monkeypatch.setattr(embed.OnnxEncoder, "_load_session", load_session)
    encoder = embed.OnnxEncoder("modèle-local", str(tmp_path))
    assert encoder.model == "session onnx" and encoder._tokenizer == "tokenizer"

    def broken_tokenizer(self):
        raise embed.ModelError("tokenizer.json illisible")

    def broken_session(self, kind):
        raise embed.ModelError("model.onnx illisible")

    monkeypatch.setattr(embed.OnnxEncoder, "_load_tokenizer", broken_tokenizer)
    monkeypatch.setattr(embed.OnnxEncoder, "_load_session", broken_session)
    with pytest.raises(embed.ModelError, match="tokenizer.json"):
        _ = embed.OnnxEncoder("modèle-local", str(tmp_path)).model


def test_simplemmas_french_dictionary_read_from_its_copy_is_simplemmas_own_and_lemmatises_alike(tmp_path):
    """The copy kept beside the models (0.07 s to read instead of 0.16 s to decode) holds the same entries in
    the same order; a fresh process lemmatises with it exactly as without it, and writes it once."""
    from simplemma.strategies.dictionaries import dictionary_factory

    from askjobs import text

    code = ("import sys, json, simplemma; from pathlib import Path; from askjobs import text\n"
            "text.load_lexicon(Path(sys.argv[1]) if len(sys.argv) > 1 else None)\n"
            "words = ['emplois', 'gagnent', 'créent', 'nomadisaient', 'Tesla', 'l\\'embauche', 'IA']\n"
            "print(json.dumps([[simplemma.lemmatize(w, lang='fr'), simplemma.is_known(w, lang='fr'), "
            "text.is_french_word(w)] for w in words] + text.analyze('Voiciquelques règles simplesà respecter')))")

    def run(*args: str) -> list:
        done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    cache = tmp_path / "lexicon"
    without = run()
    assert run(str(cache)) == without  # writes the copy
    copies = list(cache.iterdir())
    assert [p.name for p in copies] == [f"simplemma-{__import__('simplemma').__version__}-fr.bin"]
    assert run(str(cache)) == without  # reads it

    stamp = json.loads(copies[0].read_bytes().partition(b"\n")[0])
    stamp = {k: stamp[k] for k in ("format", "simplemma", "source_bytes", "source_mtime_ns")}
    theirs = dictionary_factory._load_dictionary_from_disk("fr")
    ours = text.read_dictionary_copy(copies[0], stamp)
    assert ours == theirs and list(ours) == list(theirs)
    assert text.read_dictionary_copy(copies[0], {**stamp, "simplemma": "0.0"}) is None  # another version: rewritten
    whole = copies[0].read_bytes()
    for damaged in (whole[:-2], whole[:-2] + b"xx"):  # cut short, or changed: rewritten
        copies[0].write_bytes(damaged)
        assert text.read_dictionary_copy(copies[0], stamp) is None
    assert run(str(cache)) == without
    assert text.read_dictionary_copy(copies[0], stamp) == theirs
