"""Naive baseline on an eval file: the best BM25 sentence of the top BM25 passage, never refusing.

Usage: python eval/baseline_bm25.py eval/questions.jsonl   (needs the index built by `askjobs index`)
Prints the baseline's answer accuracy next to askjobs' reader without refusals, on the same index.
"""

import sys

from askjobs.bench import _bm25_sentence
from askjobs.config import Settings
from askjobs.evaluate import answer_ok, load_questions
from askjobs.pipeline import AskJobs


def main(path: str) -> None:
    app = AskJobs(Settings().with_(refusal_threshold=0.0))
    index = app.index
    questions = [q for q in load_questions(path) if q.answerable]
    baseline = reader = 0
    for q in questions:
        query = app.analyse(q.question)
        found = app.search(query)
        top = found.rankings["lexical"].ids
        answer = _bm25_sentence(index, int(top[0]), query) if len(top) else ""
        baseline += answer_ok(q, answer)
        reader += answer_ok(q, app.read(query, found).answer)
    n = len(questions)
    print(f"{n} answerable questions")
    print(f"BM25 top sentence of the top BM25 passage: {baseline / n:.3f}")
    print(f"askjobs reader (no refusal):               {reader / n:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
