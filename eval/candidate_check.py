"""Does scoring only the candidate passages change any answer? One run, three ways of choosing them.

    python eval/candidate_check.py [--max-q 400]

Builds (once, cached under build/scale-cache/) the PIAF dev index and the seed corpus index with the
configured encoder, then answers each question three times in the same process, changing only which
passages the FAISS store scores: every passage ("all", the former behaviour), the union of the 100
best by dense cosine and by BM25 ("dense+bm25", the default now), and that union plus the 100 best by
best-sentence cosine ("dense+bm25+sentence", which needs every sentence scored). Prints per question
set how many fused top-5 lists and answers differ from "all", and R@1 / R@5 / contains for each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "scale-cache"


def main() -> int:
    from askjobs.bench import load_squad, spread, write_corpus
    from askjobs.config import Settings
    from askjobs.embed import make_encoder
    from askjobs.metrics import contains_gold
    from askjobs.pipeline import AskJobs
    from askjobs.retrieve import sentence_scores, top_rows
    from askjobs.store import FaissSearcher, attach_searcher

    ap = argparse.ArgumentParser()
    ap.add_argument("--max-q", type=int, default=400)
    ap.add_argument("--piaf", type=Path, default=ROOT.parent / "shared" / "bench" / "piaf-dev.json")
    args = ap.parse_args()

    class AllSearcher(FaissSearcher):
        def candidates(self, qvec, terms, n):
            self._last.found = None
            return None

    class WithSentences(FaissSearcher):
        def candidates(self, qvec, terms, n):
            rows = super().candidates(qvec, terms, n)
            if rows is None:
                return None
            return np.union1d(rows, top_rows(sentence_scores(self.index, qvec), n))

    settings = Settings()
    encoder = make_encoder(settings)
    piaf = load_squad(args.piaf)
    sets = []
    corpus = CACHE / "piaf-corpus"
    if not corpus.is_dir():
        write_corpus(piaf.paragraphs, corpus)
    piaf_qs = [{"question": q.question, "answers": list(q.answers), "source": q.source}
               for q in spread(piaf.questions, args.max_q)]
    sets.append(("piaf-dev", corpus, CACHE / "piaf-index", piaf_qs))
    seed = [json.loads(line) for f in ("questions.jsonl", "questions-hard.jsonl")
            for line in (ROOT / "eval" / f).read_text(encoding="utf-8").splitlines() if line.strip()]
    sets.append(("seed+hard", ROOT / "corpus", CACHE / "seed-index", seed))

    for name, corpus_dir, index_dir, questions in sets:
        app = AskJobs(settings.with_(corpus_dir=corpus_dir, index_dir=index_dir), encoder)
        app.build()
        index = app.index
        print(f"\n{name}: {len(index.chunks)} passages, {len(index.sentences)} sentences, {len(questions)} questions")
        results = {}
        for mode, cls in (("all", AllSearcher), ("dense+bm25", FaissSearcher), ("dense+bm25+sentence", WithSentences)):
            attach_searcher(index, cls(index))
            out = []
            for q in questions:
                query = app.analyse(q["question"])
                found = app.search(query)
                answer = app.read(query, found)
                out.append(([h.row for h in found.hits], answer.answer if answer.answerable else "",
                            [index.chunks[h.row].source for h in found.hits]))
            results[mode] = out
        for mode, out in results.items():
            diff_top = sum(a[0] != b[0] for a, b in zip(out, results["all"]))
            diff_answer = sum(a[1] != b[1] for a, b in zip(out, results["all"]))
            answerable = [(q, o) for q, o in zip(questions, out) if q.get("answers") and q.get("source")]
            r1 = np.mean([o[2][:1] == [q["source"]] for q, o in answerable]) if answerable else float("nan")
            r5 = np.mean([q["source"] in o[2][:5] for q, o in answerable]) if answerable else float("nan")
            contains = np.mean([contains_gold(o[1], q["answers"]) for q, o in answerable]) if answerable else float("nan")
            print(f"  {mode:22s} top-5 differs from all: {diff_top:3d}   answer differs: {diff_answer:3d}   "
                  f"R@1 {r1:.4f}  R@5 {r5:.4f}  contains {contains:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
