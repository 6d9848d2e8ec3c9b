"""Thread pools for answering questions, set once per process so they do not fight over the cores.

The encoder (torch or onnxruntime) uses every core for one question. Around it, numpy and FAISS
work on one query vector at a time: their matrix products are small, and OpenBLAS/OpenMP threads
left spinning after them steal the cores the next encoding needs (on 2 cores this doubled the embed
step inside `ask`). So OpenBLAS and FAISS's OpenMP get one thread each; the encoder keeps its own.
"""

from __future__ import annotations

_configured = False


def configure_threads() -> None:
    """Limit OpenBLAS (numpy, FAISS) and FAISS's OpenMP to one thread; the encoder's pools are untouched."""
    global _configured
    if _configured:
        return
    import faiss  # loaded now, so that its own OpenBLAS is found and limited too
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    # Only OpenBLAS: torch's MKL and OpenMP pools run the encoder and keep their threads.
    controller.select(internal_api="openblas").limit(limits=1)
    faiss.omp_set_num_threads(1)
    _configured = True
