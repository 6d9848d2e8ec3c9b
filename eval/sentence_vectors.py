"""Sentence vectors encoded alone (default) vs pooled from the passage's forward pass: quality and build time.

    python eval/sentence_vectors.py quality ../shared/bench/piaf-dev.json --max-q 400
    python eval/sentence_vectors.py speed ../shared/bench/piaf-dev.json

`quality` runs `askjobs bench squad` (same encoder, same questions) once per way and prints both tables;
`speed` times, in one process and alternating, the bare passage encoding of the set's passages and a
full build each way (only ratios within one run mean anything on a shared machine). Heavy: run under
`flock /tmp/askjobs-heavy.lock`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from askjobs.bench import format_table, load_squad, run_bench, summary_lines, write_corpus
from askjobs.config import Settings
from askjobs.embed import make_encoder
from askjobs.index import passage_text
from askjobs.ingest import load_file, scan_corpus
from askjobs.pipeline import AskJobs, _LocalSteps

WAYS = ("alone", "pooled")


def encoder(settings: Settings, way: str):
    enc = make_encoder(settings)
    if way == "pooled" and getattr(enc, "encode_passages_with_spans", None) is None:
        raise SystemExit(f"Le moteur {settings.backend!r} ne sait pas regrouper les phrases (ONNX seulement).")
    enc.pool_sentences = way == "pooled"
    return enc


def quality(path: Path, max_q: int | None) -> None:
    settings, data = Settings(), load_squad(path)
    for way in WAYS:
        result = run_bench(data, settings, max_q=max_q, encoder=encoder(settings, way))
        print(f"## {data.name} — sentence vectors {way}")
        print(format_table(result, markdown=True))
        print("\n".join(summary_lines(result)), flush=True)


def speed(path: Path) -> None:
    settings, data = Settings(), load_squad(path)
    enc = encoder(settings, "alone")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        write_corpus(data.paragraphs, corpus)
        s = settings.with_(corpus_dir=corpus, index_dir=Path(tmp) / "index")
        files, _ = scan_corpus(corpus, s.max_file_bytes)
        docs = {d.source: d for d in (load_file(f) for f in files)}
        chunks = _LocalSteps(enc).chunk(list(docs.values()), s.chunk_tokens, s.chunk_overlap)
        texts = [passage_text(docs[c.source], c) for c in chunks]
        enc.encode_passages(["échauffement"])  # model loaded before any timing
        for step in ("bare", "pooled", "bare", "alone", "bare"):
            t = time.perf_counter()
            if step == "bare":
                enc.encode_passages(texts)
                print(f"bare passage encoding ({len(texts)} passages): {time.perf_counter() - t:.1f} s", flush=True)
                continue
            enc.pool_sentences = step == "pooled"
            report = AskJobs(s, enc).build(rebuild=True)
            print(f"build, sentences {step}: {time.perf_counter() - t:.1f} s ({report.chunks} passages, "
                  f"{report.sentences} sentences, {report.embedded} texts encoded)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("quality", "speed"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--max-q", type=int, default=None)
    args = parser.parse_args()
    quality(args.file, args.max_q) if args.what == "quality" else speed(args.file)


if __name__ == "__main__":
    main()
