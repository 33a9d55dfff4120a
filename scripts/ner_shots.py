"""Dev entity F1 of trained NER runs evaluated as trained, with finite shots per readout, and under noise.

The word vectors of FILE are computed once (frozen encoder) and every run is evaluated on them:
as trained (exact expectations), then with each shot count, under each noise, and under each
noise with ``--noisy-shots`` shots (``evaluate RUN FILE --shots N --noise SPEC`` per run and
setting does the same, re-encoding FILE each time).

    python scripts/ner_shots.py --data PATH/TO/conll2003/eng.testa --shots 100,1000,10000 --out OUT.json RUN...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders written by the ner command (frozen encoder)")
    parser.add_argument("--data", required=True, help="a tagged CoNLL file (the development file)")
    parser.add_argument("--shots", default="100,1000,10000", help="shot counts (comma list)")
    parser.add_argument("--noise", action="append", default=[],
                        help="also evaluate the trained weights under this noise (repeatable)")
    parser.add_argument("--noisy-shots", type=int, default=None,
                        help="also evaluate under each --noise with this many shots per readout (a device's numbers)")
    parser.add_argument("--out", required=True, help="JSON of the results")
    args = parser.parse_args()

    from sims.atomic import write_json
    from sims.ner.conll import read_conll
    from sims.ner.evaluation import entity_report
    from sims.ner.features import word_vectors
    from sims.ner.tagger import Tagger

    sentences = read_conll(args.data, "utf-8")
    gold = [list(s.tags) for s in sentences]
    words = [s.words for s in sentences]
    vectors = None
    rows = []
    for run in args.runs:
        settings = [{}, *({"shots": int(n)} for n in args.shots.split(",")), *({"noise": n} for n in args.noise)]
        if args.noisy_shots:
            settings += [{"noise": n, "shots": args.noisy_shots} for n in args.noise]
        for overrides in settings:
            tagger = Tagger.load(run, overrides or None)
            if tagger.fine_tune:
                raise SystemExit(f"{run}: a fine-tuned run; this script takes frozen-encoder runs")
            if vectors is None:
                vectors = word_vectors(tagger.encoder, words, max_length=tagger.max_length,
                                       layers=tagger.encoder_features)
            f1 = entity_report(gold, tagger.predict_vectors(vectors, words))["micro avg"]["f1-score"]
            rows.append({"run": run, **overrides, "entity_f1": f1})
            label = ", ".join(f"{k} {v}" for k, v in overrides.items()) or "as trained (exact)"
            print(f"{run}  {label:<28} dev entity F1 {f1:.4f}", flush=True)
    write_json(Path(args.out), {"data": args.data, "rows": rows})
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
