"""Writers for test documents in every supported format, plus an encoder that records model use."""

from __future__ import annotations

import io
from pathlib import Path

from fakes import FakeEncoder

SALAIRE = ("Le salaire médian des data scientists atteint 55 000 euros par an en France. "
           "Les recruteurs recherchent surtout des compétences en Python et en statistiques.")
TELETRAVAIL = ("Le télétravail concerne désormais 30 % des salariés du secteur privé. "
               "Il reste rare dans l'industrie et le commerce de détail.")
AUTOMATISATION = ("L'automatisation menace surtout les tâches administratives répétitives. "
                  "Les métiers du soin restent peu exposés selon l'étude de 2024.")


def write_pdf(path: Path, pages: list[str]) -> Path:
    """A PDF with a real text layer, one string per page (Latin-1 characters only: core fonts)."""
    with open(path, "wb") as fh:
        write_pdf_to(fh, pages)
    return path


def write_image_pdf(path: Path) -> Path:
    """A PDF whose page is only drawn shapes, like a scan: no text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 120, 80, style="F")
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path, text: str, user_password: str) -> Path:
    from pypdf import PdfWriter

    buf = io.BytesIO()
    write_pdf_to(buf, [text])
    writer = PdfWriter(clone_from=io.BytesIO(buf.getvalue()))
    writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm="AES-256")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def write_pdf_to(buf, pages: list[str]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    buf.write(bytes(pdf.output()))


def write_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None, title: str = "") -> Path:
    import docx

    document = docx.Document()
    if paragraphs:
        document.add_heading(paragraphs[0], level=1)
    for text in paragraphs[1:]:
        document.add_paragraph(text)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    if title:
        document.core_properties.title = title
    document.save(str(path))
    return path


def html_page(title: str, paragraphs: list[str]) -> str:
    """A saved web page: menus, scripts, a cookie banner and a footer around the article."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} | Le Journal de l'Emploi</title>
<script>window.dataLayer = []; function track() {{ return "MENU_SCRIPT"; }}</script>
<style>.menu {{ color: red; }}</style></head>
<body>
<header><div class="logo">Le Journal de l'Emploi</div></header>
<nav><ul><li><a href="/">Accueil</a></li><li><a href="/offres">Offres d'emploi NAVIGATION</a></li>
<li><a href="/contact">Contact</a></li></ul></nav>
<main><article><h1>{title}</h1>
{body}
</article></main>
<aside>Articles populaires : BARRE_LATERALE</aside>
<footer>Mentions légales PIED_DE_PAGE — © 2024 Le Journal de l'Emploi</footer>
<script>track();</script>
</body></html>"""


class RecordingEncoder(FakeEncoder):
    """FakeEncoder that records what a real model would have had to load for."""

    def __init__(self):
        self.model_uses: list[str] = []
        self.encoded = 0

    @property
    def dim(self) -> int:  # the real encoder loads the model to answer this
        self.model_uses.append("dim")
        return FakeEncoder.dim

    def encode_queries(self, texts):
        self.model_uses.append("encode")
        self.encoded += len(texts)
        import numpy as np

        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, FakeEncoder.dim), np.float32)

    encode_passages = encode_queries

    def count_tokens(self, text: str) -> int:
        self.model_uses.append("tokenizer")
        return super().count_tokens(text)
