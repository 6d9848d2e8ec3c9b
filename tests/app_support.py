"""Helpers shared by the chat tests: load app.py, write small corpora, serve the app on a free port."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # tests make no outside calls
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output"  # git-ignored; screenshots land here so CI can keep them

SALARY_DOC = (
    "Salaires des métiers de l'IA\n"
    "La compensation financière reflète la rareté des talents qualifiés. "
    "Aux États-Unis, le salaire médian pour les postes liés à l'IA est d'environ 157 000 $, "
    "mais les postes spécialisés dépassent souvent 200 000 $ en salaire de base.\n\n"
    "Selon un rapport de LinkedIn de 2025, les offres d'emploi liées à l'IA ont augmenté de 38 % "
    "entre 2020 et 2024.\n"
)
XSS_DOC = (
    "Note de sécurité du portail carrière\n"
    "Le champ de recherche du portail carrière affichait tel quel le texte <script>window.__pwned = 1</script> "
    "saisi par un visiteur.\n"
    "L'équipe sécurité a aussi signalé une image piégée <img src=x onerror=\"window.__pwned=2\"> "
    "dans une annonce d'emploi.\n"
    "Un gabarit contenait ${window.__pwned=3} et {{7*7}} sans échappement.\n"
)


def load_app_module():
    """Import the repository's app.py (it sits outside the package)."""
    if "askjobs_app" in sys.modules:
        return sys.modules["askjobs_app"]
    spec = importlib.util.spec_from_file_location("askjobs_app", ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["askjobs_app"] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(askjobs, feedback_path: Path):
    """Launch the chat in this process's background threads; returns (url, demo)."""
    app_module = load_app_module()
    demo = app_module.create_app(askjobs, feedback_path=feedback_path)
    port = free_port()
    app_module.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    return f"http://127.0.0.1:{port}/", demo
