"""Naive baseline on an eval file: the best BM25 sentence of the top BM25 passage, never refusing.

Usage: python eval/baseline_bm25.py eval/questions.jsonl   (needs the index built by `askjobs index`)
Prints the baseline's answer accuracy next to askjobs' reader without refusals, on the same index.
"""

import sys

from askjobs.bench import _bm25_sentence
from askjobs.config import Settings
from askjobs.evaluate import contains_answer, load_questions
from askjobs.pipeline import AskJobs
from askjobs.retrieve import lexical_search
from askjobs.text import analyze


def main(path: str) -> None:
    app = AskJobs(Settings().with_(refusal_threshold=0.0))
    index = app.index
    questions = [q for q in load_questions(path) if q.answerable]
    baseline = reader = 0
    for q in questions:
        top = lexical_search(index, q.question, 1)
        answer = _bm25_sentence(index, int(top.ids[0]), analyze(q.question)) if len(top.ids) else ""
        baseline += contains_answer(answer, q.answers)
        reader += contains_answer(app.ask(q.question).answer, q.answers)
    n = len(questions)
    print(f"{n} answerable questions")
    print(f"BM25 top sentence of the top BM25 passage: {baseline / n:.3f}")
    print(f"askjobs reader (no refusal):               {reader / n:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
