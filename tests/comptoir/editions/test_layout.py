"""The shared PDF conventions (`comptoir.editions.layout`), read back from the bytes: A4
portrait or landscape, one page and one outline entry per unit, `page n / N`, the same
bytes for the same input, a classic cross-reference table, French formats."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from comptoir.editions.layout import Unit, write_pdf
from comptoir.retail.report_text import day, money, quantity


def units() -> list[Unit]:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("p", fontName="Helvetica", fontSize=10)
    return [Unit(f"MAG0{i} 06/01/2026", [Paragraph(f"Magasin {i} : {money(1234)}", style)])
            for i in (1, 2, 3)]


def test_units_pages_outlines_and_total(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    assert write_pdf(path, "Brouillard", "Société Test", units(), compress=False) == 3
    content = path.read_bytes()
    assert re.findall(rb"/MediaBox \[ 0 0 (\S+) (\S+) \]", content)[0] == (
        b"595.2756", b"841.8898")  # A4 portrait
    assert b"/ObjStm" not in content and b"\nxref\n0 " in content
    titles = re.findall(rb"/Dest \[ (\d+) 0 R /Fit \][^\n]*/Title \(([^)]*)\)", content)
    assert [t for _, t in titles] == [b"MAG01 06/01/2026", b"MAG02 06/01/2026",
                                      b"MAG03 06/01/2026"]
    assert len({page for page, _ in titles}) == 3
    assert b"(page 3 / ) Tj" in content and b"(3) Tj" in content  # N in the total form
    assert b"(Soci\\351t\\351 Test) Tj" in content and b"(Brouillard) Tj" in content
    # the euro in WinAnsi (a Paragraph lays no-break spaces out as spaces)
    assert b"(Magasin 1 : 1 234,00 \\200) Tj" in content


def test_landscape_and_identical_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    write_pdf(first, "Analyse", "Société", units(), landscape=True)
    write_pdf(second, "Analyse", "Société", units(), landscape=True)
    assert first.read_bytes() == second.read_bytes()
    assert b"/MediaBox [ 0 0 841.8898 595.2756 ]" in first.read_bytes()


def test_french_formats() -> None:
    assert money(Decimal("1234.5")) == "1\u00a0234,50\u00a0€"
    assert money(Decimal("999.999")) == "1\u00a0000,00\u00a0€"
    assert money(None) == "" and quantity(None) == ""
    assert quantity(Decimal("2.500")) == "2,5" and quantity(Decimal("1234567")) == (
        "1\u00a0234\u00a0567")
    assert day(date(2026, 1, 6)) == "06/01/2026"
