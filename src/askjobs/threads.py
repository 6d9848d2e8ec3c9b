"""Threads: the pools that answer questions, and loading the model and the index side by side.

The encoder (torch or onnxruntime) uses every core for one question. Around it, numpy and FAISS
work on one query vector at a time: their matrix products are small, and OpenBLAS/OpenMP threads
left spinning after them steal the cores the next encoding needs (on 2 cores this doubled the embed
step inside `ask`). So OpenBLAS and FAISS's OpenMP get one thread each; the encoder keeps its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_configured = False
_this_thread = threading.local()


def configure_threads() -> None:
    """Limit OpenBLAS (numpy, FAISS) and FAISS's OpenMP to one thread; the encoder's pools are untouched.

    OpenBLAS's limit holds for the whole process; OpenMP's holds for the thread that sets it, so it is
    set again in each thread that asks (the chat answers in Gradio's worker threads, not in the one
    that loaded the model). Cheap after the first call in a thread.
    """
    global _configured
    if not _configured:
        import faiss  # noqa: F401  loaded now, so that its own OpenBLAS is found and limited too
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()
        # Only OpenBLAS: torch's MKL and OpenMP pools run the encoder and keep their threads.
        controller.select(internal_api="openblas").limit(limits=1)
        _configured = True
    if not getattr(_this_thread, "limited", False):
        import faiss

        faiss.omp_set_num_threads(1)
        _this_thread.limited = True


def start_loading(app) -> Callable[[], None]:
    """Start loading an AskJobs's model and index, each in its own thread; returns the function that waits for both.

    onnxruntime builds its session without holding the GIL, so on two cores it overlaps with the index
    and the French lexicon (the tokenizer and the index are Python-bound: those two take turns); the
    chat's encoder loads in a child process (askjobs.encoder_process), so its step only waits. wait()
    raises an index error before a model error, as when they loaded one after the other, and sets the
    thread pools from the thread that waits: FAISS's OpenMP limit holds for its calling thread only.
    """
    failed: dict[str, BaseException] = {}

    def load(what: str, step: Callable[[], object]) -> None:
        try:
            step()
        except BaseException as exc:  # re-raised by wait(), in the thread that asks
            failed[what] = exc

    steps = {"index": lambda: app.index,
             "model": lambda: getattr(app.encoder, "model", None)}  # real encoders load on first access
    threads = [threading.Thread(target=load, args=item, name=f"askjobs-{item[0]}", daemon=True)
               for item in steps.items()]
    for t in threads:
        t.start()

    def wait() -> None:
        for t in threads:
            t.join()
        for what in steps:
            if what in failed:
                raise failed[what]
        configure_threads()
    return wait
