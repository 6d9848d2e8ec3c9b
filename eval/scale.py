"""The scale benchmark (same as `askjobs bench scale`; see src/askjobs/bench_scale.py).

    python eval/scale.py --sizes 10000 100000 1000000 [--store faiss] [--questions 200] [--json]

Set ASKJOBS_BENCH_APPROX_MIN=N to make the dense index approximate from N passages on (to compare
both kinds at one size).
"""

import sys

from askjobs.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "scale", *sys.argv[1:]]))
