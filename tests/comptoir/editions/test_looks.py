"""The picture comparison the editions' tests rely on notices a layout change, and lets
the rendering of the same page through."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops

from comptoir.editions.layout import Unit, heading, table, write_pdf
from tests.comptoir.editions.looks import bookmarks, difference, first_page_png, pages_text


def sheet(path: Path, indent: int) -> Path:
    from reportlab.platypus import Spacer

    rows = [[f"MAG0{i}", f"{i * 1000},00 €"] for i in range(1, 30)]
    flow = [Spacer(0, indent), heading("Ventes par magasin"),
            table(("Magasin", "Montant"), rows, (40, 40), right=(1,), totals=1)]
    write_pdf(path, "Essai", "Société", [Unit("MAG01 06/01/2026", flow),
                                         Unit("MAG02 06/01/2026", [heading("Suite")])])
    return path


def test_the_same_page_matches_and_a_moved_table_does_not(tmp_path: Path) -> None:
    first = first_page_png(sheet(tmp_path / "a.pdf", 0), "looks-a")
    again = first_page_png(sheet(tmp_path / "b.pdf", 0), "looks-b")
    moved = first_page_png(sheet(tmp_path / "c.pdf", 60), "looks-c")
    assert difference(again, first) == 0
    assert difference(moved, first) > 0.01


def test_a_different_size_is_a_change(tmp_path: Path) -> None:
    picture = first_page_png(sheet(tmp_path / "a.pdf", 0), "looks-d")
    with Image.open(picture) as image:
        image.crop((0, 0, image.width - 10, image.height)).save(tmp_path / "cut.png")
    assert difference(tmp_path / "cut.png", picture) == 1.0
    with Image.open(picture) as image:  # a faint change stays under the level
        ImageChops.add(image.convert("L"), Image.new("L", image.size, 20)).save(
            tmp_path / "faint.png")
    assert difference(tmp_path / "faint.png", picture) == 0


def test_text_and_bookmarks_read_back(tmp_path: Path) -> None:
    path = sheet(tmp_path / "a.pdf", 0)
    assert bookmarks(path) == [("MAG01 06/01/2026", 0), ("MAG02 06/01/2026", 1)]
    text = pages_text(path)
    assert len(text) == 2
    assert "Ventes par magasin" in text[0] and "29000,00 €" in text[0]
    assert text[0].startswith("Société\nEssai\npage 1 / \n2\n")  # N is drawn by a form
    assert text[1].startswith("Société\nEssai\npage 2 / \n2\nSuite")
