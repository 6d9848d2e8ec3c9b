"""Do the FAISS store and the Qdrant store give the same answers? On a PIAF subset (SQuAD format).

    python eval/compare_stores.py ../shared/bench/piaf-dev.json --paragraphs 80 [--qdrant-url :memory:]

The first `--paragraphs` paragraphs become documents; every question about them is asked through
`AskJobs.ask` twice: with the default store, and with the Qdrant store holding the same index
(embedded once: the FAISS version is read back from its folder and published to Qdrant, as a
build would publish it). Prints how many answers, citations, confidences and top-5 passages agree,
and the first differences.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from askjobs.bench import load_squad, write_corpus
    from askjobs.config import Settings
    from askjobs.embed import make_encoder
    from askjobs.index import load_index
    from askjobs.pipeline import AskJobs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--paragraphs", type=int, default=80)
    parser.add_argument("--qdrant-url", default=":memory:")
    args = parser.parse_args(argv)
    os.environ["ASKJOBS_QDRANT_URL"] = args.qdrant_url

    data = load_squad(args.file)
    paragraphs = data.paragraphs[:args.paragraphs]
    sources = {p.source for p in paragraphs}
    questions = [q for q in data.questions if q.source in sources]
    encoder = make_encoder(Settings())
    with tempfile.TemporaryDirectory(prefix="askjobs-stores-") as tmp:
        write_corpus(paragraphs, Path(tmp) / "corpus")
        base = Settings(corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index")
        faiss_app = AskJobs(base, encoder)
        t0 = time.perf_counter()
        report = faiss_app.build()
        build_s = time.perf_counter() - t0
        qdrant_app = AskJobs(base.with_(index_dir=Path(tmp) / "index-qdrant", store="qdrant"), encoder)
        t0 = time.perf_counter()
        qdrant_app.store.publish(load_index(base.index_dir))
        publish_s = time.perf_counter() - t0
        same = {"answer": 0, "citations": 0, "confidence": 0, "top5": 0, "whole": 0}
        diffs = []
        for q in questions:
            a, b = faiss_app.ask(q.question), qdrant_app.ask(q.question)
            da, db = a.to_dict(), b.to_dict()
            da.pop("timings_ms"), db.pop("timings_ms")
            top_a = [(c["source"], c["passage_start"]) for c in da["nearest"]]
            top_b = [(c["source"], c["passage_start"]) for c in db["nearest"]]
            same["answer"] += a.answer == b.answer
            same["citations"] += [(c.source, c.start, c.end) for c in a.citations] == \
                [(c.source, c.start, c.end) for c in b.citations]
            same["confidence"] += abs(a.confidence - b.confidence) < 1e-3
            same["top5"] += top_a == top_b
            same["whole"] += da == db
            if da != db and len(diffs) < 5:
                diffs.append({"question": q.question, "faiss": a.answer[:120], "qdrant": b.answer[:120]})
    print(json.dumps({"paragraphs": len(paragraphs), "passages": report.chunks, "sentences": report.sentences,
                      "questions": len(questions), "same": same, "faiss_build_s": round(build_s, 1),
                      "qdrant_publish_s": round(publish_s, 1), "first_differences": diffs},
                     ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
