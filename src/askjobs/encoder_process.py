"""Questions encoded in a child process, so that the chat's two cores load the model and Gradio at once.

Loading the ONNX encoder costs ~1.75 s of CPU (the tokenizer's 250 000 pieces hold the GIL for 0.75 s),
and the chat's own start (Gradio's import, the page, the index, the French lexicon) ~2.6 s, nearly all
of it holding the GIL: in one process they take turns on one core. `ProcessEncoder` is the encoder the
chat uses instead: `python -m askjobs.encoder_process NAME PATH BACKEND` loads the real encoder's
question side on the other core and encodes questions over a pipe, with the same code, so the vectors
are the same to the last bit. Passages (a re-index from the chat) are encoded in this process by the
in-process encoder, loaded on first use: they are encoded in one call per build, which the pipe would
hold for minutes while questions waited, and int8 vectors depend on the whole batch, so slicing them
would change them.

Protocol, one question batch at a time: the parent writes a JSON list of texts on one line; the child
answers {"ok": true, "shape": [n, dim]} on one line followed by n × dim float32 (native byte order), or
{"ok": false, "error": message, "type": "ModelError"}. Once loaded, before any request, it writes
{"ok": true, "dim": dim} (or the loading error, then ends). It ends when its stdin closes (the chat
ended, however it ended); it runs in its own session, so Ctrl-C in the terminal reaches only the chat.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .embed import Encoder, ModelError


class ProcessEncoder:
    """An Encoder whose questions are encoded by a child process and passages by `local` (see the module).

    Cheap to construct; `start()` launches the child, which begins loading at once; `model` waits until it
    is loaded. A child that died while encoding makes that question fail with a French ModelError saying
    so; the next question starts another child.
    """

    def __init__(self, local: Encoder, command: Sequence[str] | None = None):
        self.local = local  # the in-process encoder: passages, token counts (builds); loaded on first use
        self.name = local.name
        self.backend = getattr(local, "backend", None)
        # The child's command line: this module run on the same model (tests give one serving a fake encoder).
        self.command = list(command) if command else [sys.executable, "-m", "askjobs.encoder_process", local.name,
                                                      local.path, local.backend]
        self._lock = threading.Lock()  # one question batch and its answer at a time (Gradio asks from several threads)
        self._child: subprocess.Popen | None = None
        self._loaded: dict | None = None  # the child's first message, once read

    @property
    def fingerprint(self) -> str:
        return self.local.fingerprint

    @property
    def pool_sentences(self) -> bool:
        return bool(getattr(self.local, "pool_sentences", False))

    @property
    def encode_passages_with_spans(self):
        return getattr(self.local, "encode_passages_with_spans", None)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.local.encode_passages(texts)

    def count_tokens(self, text: str) -> int:
        return self.local.count_tokens(text)

    # --- the child: questions ---------------------------------------------------------------------
    def start(self) -> ProcessEncoder:
        """Launch the child (it starts loading the model at once); nothing is waited for."""
        with self._lock:
            if self._child is None:
                self._spawn()
        return self

    def close(self) -> None:
        """End the child: its stdin closes, so a loaded child ends at once; one still loading is terminated.
        Takes no lock: a question waiting for the child gets the French error of a child that ended."""
        child = self._child
        if child is None:
            return
        try:
            child.stdin.close()
        except OSError:
            pass
        if self._loaded is None:  # still loading (it reads its stdin only once loaded): no need to wait for that
            child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    @property
    def model(self) -> dict:
        """What the child said once its model was loaded (waits for it; ModelError if loading failed)."""
        with self._lock:
            return self._ready()

    @property
    def dim(self) -> int:
        return int(self.model["dim"])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        line = json.dumps(list(texts), ensure_ascii=False).encode("utf-8") + b"\n"
        with self._lock:
            self._ready()
            child = self._child
            try:
                child.stdin.write(line)
                child.stdin.flush()
            except OSError:  # a broken pipe: it died since it was loaded
                raise self._died() from None
            message = self._read_message()
            if not message.get("ok"):
                raise _error(message)
            shape = tuple(int(n) for n in message["shape"])
            size = shape[0] * shape[1] * 4
            payload = child.stdout.read(size)
            if len(payload) != size:
                raise self._died()
        return np.frombuffer(payload, dtype=np.float32).reshape(shape).copy()

    def _spawn(self) -> None:
        # The child imports the askjobs this process imported, wherever that came from.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[1]),
                                                        env.get("PYTHONPATH")) if p)
        # Its own session: Ctrl-C in the terminal reaches the chat only, which then closes the child's stdin.
        self._child = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                       start_new_session=True)
        self._loaded = None

    def _ready(self) -> dict:
        """The child's first message, waiting for it; a child that is not running is started first.
        Called with the lock held."""
        if self._child is not None and self._loaded is not None and self._child.poll() is not None:
            logging.getLogger("askjobs").warning(
                "askjobs : le processus qui encode les questions s'était arrêté (%s) ; il est relancé.",
                _how(self._child.returncode))
            self._forget_child()
        if self._child is None:
            self._spawn()
        if self._loaded is None:
            message = self._read_message()
            if not message.get("ok"):
                self._child.wait()  # it ends once it has said why; the next question starts another
                self._forget_child()
                raise _error(message)
            self._loaded = message
        return self._loaded

    def _read_message(self) -> dict:
        line = self._child.stdout.readline()
        if not line:
            raise self._died()
        return json.loads(line)

    def _died(self) -> ModelError:
        """The error for a child that ended while it was asked something; the next question starts another."""
        child = self._child
        try:
            code = child.wait(timeout=5)
        except subprocess.TimeoutExpired:  # its output closed but it still runs: end it
            child.kill()
            code = child.wait()
        self._forget_child()
        return ModelError(f"Le processus qui encode les questions avec le modèle {self.name!r} s'est arrêté "
                          f"({_how(code)}). Reposez la question : il sera relancé. Si l'erreur revient, "
                          "redémarrez le chat (`python app.py`) et lisez les messages qui précèdent celui-ci.")

    def _forget_child(self) -> None:
        for stream in (self._child.stdin, self._child.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._child, self._loaded = None, None


def _how(code: int) -> str:
    """How a process ended, in French: "code de sortie 1", "tué par le signal 9 (SIGKILL : mémoire insuffisante ?)"."""
    if code >= 0:
        return f"code de sortie {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = "inconnu"
    hint = " : mémoire insuffisante ?" if -code == signal.SIGKILL else ""
    return f"tué par le signal {-code} ({name}{hint})"


def _error(message: dict) -> Exception:
    """The child's error, raised here as the in-process encoder would have raised it."""
    text = message.get("error") or "erreur inconnue"
    if message.get("type") == "ModelError":
        return ModelError(text)
    return RuntimeError(f"L'encodage de la question a échoué ({message.get('type')}) : {text}")


# --- the child -------------------------------------------------------------------------------------
def _load(name: str, path: str, backend: str) -> Encoder:
    """The real encoder with its question model loaded: the tokenizer, then the session, one after the
    other (this process has one core to itself while the chat imports Gradio on the other)."""
    from .embed import ONNX_BACKENDS, OnnxEncoder, SentenceTransformerEncoder

    if backend in ONNX_BACKENDS:
        encoder = OnnxEncoder(name, path, backend)
        encoder.load_tokenizer_beside_session = False
    else:
        encoder = SentenceTransformerEncoder(name, path)
    _ = encoder.model
    return encoder


def serve(load: Callable[[], Encoder]) -> int:
    """The child's loop: load the encoder, say so, then encode each line of questions until stdin closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to the chat's log, never into the vectors
    sys.stdout = sys.stderr

    def send(message: dict, payload: bytes = b"") -> None:
        out.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n" + payload)
        out.flush()

    def failure(exc: BaseException) -> dict:
        return {"ok": False, "error": str(exc), "type": type(exc).__name__}

    try:
        encoder = load()
        send({"ok": True, "dim": int(encoder.dim)})
    except Exception as exc:  # a ModelError says what to fix; the chat shows it
        send(failure(exc))
        return 1
    for line in sys.stdin.buffer:
        try:
            vectors = np.ascontiguousarray(encoder.encode_queries(json.loads(line)), dtype=np.float32)
        except ModelError as exc:
            send(failure(exc))
            continue
        except Exception as exc:  # a bug: its traceback goes to the chat's log, as in the chat's own threads
            import traceback

            traceback.print_exc()
            send(failure(exc))
            continue
        send({"ok": True, "shape": list(vectors.shape)}, vectors.tobytes())
    return 0


def main(load: Callable[[], Encoder]) -> None:
    """Serve, then end without freeing the model one object at a time (the tokenizer alone takes ~1 s)."""
    try:
        code = serve(load)
        sys.stderr.flush()
    except BrokenPipeError:  # the chat went away mid-answer
        code = 0
    os._exit(code)


if __name__ == "__main__":
    name, path, backend = sys.argv[1:4]
    main(lambda: _load(name, path, backend))
