"""Fake question encoders that tests run as askjobs.encoder_process children (no model, no network)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from fakes import FakeEncoder

from askjobs.embed import ModelError

TESTS = Path(__file__).resolve().parent


def command(load: str) -> list[str]:
    """The command line of a child serving `load` (a name in this module) as askjobs.encoder_process does."""
    code = (f"import sys; sys.path.insert(0, {str(TESTS)!r})\n"
            "import encoder_children\n"
            "from askjobs.encoder_process import main\n"
            f"main(encoder_children.{load})")
    return [sys.executable, "-c", code]


class Chatty(FakeEncoder):
    """Prints on stdout while encoding, as a library might."""

    def encode_queries(self, texts):
        print("avertissement d'une bibliothèque", flush=True)
        return super().encode_queries(texts)


class DiesOnUnicorns(FakeEncoder):
    """Killed (as by the kernel's out-of-memory killer) while encoding a question about a unicorn."""

    def encode_queries(self, texts):
        if any("licorne" in t for t in texts):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().encode_queries(texts)


def SlowToLoad():  # named like the fake classes beside it
    import time

    time.sleep(60)
    return FakeEncoder()


def missing_model():
    raise ModelError("Impossible de charger le modèle d'embedding 'absent' (models/absent) : dossier introuvable. "
                     "Indiquez un autre modèle avec ASKJOBS_MODEL=<dossier local ou identifiant>.")
