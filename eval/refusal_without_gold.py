"""How often askjobs refuses when the answer is not in the documents, on questions it has never seen.

Each SQuAD/PIAF question is asked twice over the same index: once as is, once with its gold
paragraph hidden from retrieval. Hidden, the question becomes a hard near miss: the other
paragraphs of the same article, with the same names and topic, are still there. The script prints,
for a few refusal thresholds, the share of questions answered (and answered correctly) with the
gold paragraph, and the share refused without it.

Usage: python eval/refusal_without_gold.py ../shared/bench/piaf-dev.json [--max-q N]
(builds a temporary index of the paragraphs: about 1 minute, plus 1 minute per 1000 questions)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from askjobs.bench import load_squad, spread, write_corpus
from askjobs.config import Settings
from askjobs.metrics import contains_gold
from askjobs.pipeline import AskJobs


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file", type=Path)
    p.add_argument("--max-q", type=int, default=None)
    args = p.parse_args(argv)
    data = load_squad(args.file)
    questions = spread(data.questions, args.max_q)
    configured = Settings()
    with tempfile.TemporaryDirectory(prefix="askjobs-refusal-") as tmp:
        write_corpus(data.paragraphs, Path(tmp) / "corpus")
        # Threshold 0: confidences first, thresholds after.
        s = configured.with_(corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index").with_(
            refusal_threshold=0.0)
        app = AskJobs(s)
        app.build(rebuild=True)
        k = s.top_k
        with_gold, without_gold, still_found = [], [], 0
        for q in questions:
            query = app.analyse(q.question)
            found = app.search(query, k + 10)
            a = app.read(query, found.top(k))
            with_gold.append((a.confidence, contains_gold(a.answer, q.answers)))
            hidden = replace(found, hits=tuple(h for h in found.hits if h.chunk.source != q.source)[:k])
            b = app.read(query, hidden)
            without_gold.append(b.confidence)
            still_found += contains_gold(b.answer, q.answers) > 0  # another paragraph says it too
    conf = np.array([c for c, _ in with_gold])
    ok = np.array([o > 0 for _, o in with_gold])
    hidden_conf = np.array(without_gold)
    n = len(questions)
    print(f"{data.name}: {n} questions; without the gold paragraph, {still_found / n:.1%} of the answers "
          "still hold the gold answer (another paragraph says it too).")
    print("seuil   répond (avec)   répond juste (avec)   refuse (sans)")
    for t in sorted({0.2, 0.3, configured.refusal_threshold, 0.4, 0.5, 0.6}):
        mark = "  ← configuré" if t == configured.refusal_threshold else ""
        print(f"{t:5.2f}   {np.mean(conf >= t):13.3f}   {np.mean((conf >= t) & ok):19.3f}   "
              f"{np.mean(hidden_conf < t):13.3f}{mark}")


if __name__ == "__main__":
    main(sys.argv[1:])
