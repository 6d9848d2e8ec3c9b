"""What `ask` costs beyond encoding the question, model and index loaded (seed corpus by default).

    python eval/latency.py [eval/questions.jsonl] [--no-thread-limits] [--repeat 2]

Each question is encoded bare (the encoder alone), then asked through `AskJobs.ask`, alternately,
so both see the same machine load. Prints the p50/p95 of the bare encoding, of ask's embed step
and of the whole ask, the ratio ask / bare encoding, and the p50 of what ask spends beyond its
embed step: in all, analysing the question and retrieving ("retrieve"), and reading ("read").
`--no-thread-limits` skips `configure_threads()` to show what OpenBLAS/OpenMP oversubscription costs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from askjobs import threads
from askjobs.files import iter_jsonl
from askjobs.pipeline import AskJobs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=Path(__file__).with_name("questions.jsonl"))
    ap.add_argument("--no-thread-limits", action="store_true")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    if args.no_thread_limits:
        threads._configured = True  # pretend it ran: pools stay at their defaults
    app = AskJobs()
    app.warm_up()
    questions = [row["question"] for _, row in iter_jsonl(args.file, "des questions")]
    bare, embed, total, retrieve, read = [], [], [], [], []
    for _ in range(args.repeat):
        for q in questions:
            t0 = time.perf_counter()
            app.encoder.encode_queries([q])
            bare.append((time.perf_counter() - t0) * 1e3)
            t = app.ask(q).timings_ms
            embed.append(t["embed"])
            total.append(t["total"])
            retrieve.append(t["retrieve"])
            read.append(t["read"])

    def p(v, q):
        return round(float(np.percentile(v, q)), 1)

    out = {"backend": app.backend, "thread_limits": not args.no_thread_limits, "questions": len(bare),
           "bare_p50": p(bare, 50), "bare_p95": p(bare, 95), "embed_p50": p(embed, 50), "embed_p95": p(embed, 95),
           "ask_p50": p(total, 50), "ask_p95": p(total, 95),
           "ask_over_bare_p50": round(p(total, 50) / p(bare, 50), 2),
           "beyond_embed_p50": p([a - e for a, e in zip(total, embed)], 50), "retrieve_p50": p(retrieve, 50),
           "read_p50": p(read, 50)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
