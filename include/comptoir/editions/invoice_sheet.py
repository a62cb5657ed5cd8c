"""The invoice of `invoice_edition` as PDF (conventions of `comptoir.editions.layout`).

One unit per invoice (new page, bookmark = its number): the company block (settings) and
the document's title, number, date and reference; the customer's code and the address
block where a window envelope shows it; the lines, flowing over pages with their header
repeated; the VAT per rate beside the totals (excl. VAT, VAT, incl. VAT, as stored on the
document); the due dates and payments (receivables) when there are any; the footer
(`invoice_footer`). Credit notes (`A`) are titled "Avoir".

Amounts as stored: a line's unit price keeps the decimals it has (2 to 4), its total and
every total are to the cent.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from comptoir.editions.layout import FONT, FONT_BOLD, Unit, table, write_pdf
from comptoir.retail.report_text import NBSP, day, grouped, money, quantity

__all__ = ["Company", "Due", "Invoice", "Line", "VatRow", "title_of", "unit_price",
           "write_invoices", "write_zip"]

KINDS = {"F": "Facture", "A": "Avoir"}
HEADER = ("Article", "Désignation", "Qté", "P.U. HT", "Remise", "TVA", "Total HT")
WIDTHS_MM = (25, 61, 13, 23, 14, 12, 26)
WIDTH_MM = 174  # what the frame of an A4 page leaves inside its padding
STATES = {"open": "à régler", "partially_paid": "réglée en partie", "paid": "réglée",
          "cancelled": "annulée"}
INK = (0.16, 0.22, 0.33)  # the accent of titles and rules: a dark slate blue


@dataclass(frozen=True)
class Company:
    """The company block (settings `company_*`) and the footer (`invoice_footer`)."""

    name: str
    address: str = ""
    postcode: str = ""
    city: str = ""
    siret: str = ""
    vat_number: str = ""
    footer: str = ""


@dataclass(frozen=True)
class Line:
    """A document line, as stored."""

    article: str
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    discount: Decimal | None
    rate: Decimal | None
    total_excl_tax: Decimal | None


@dataclass(frozen=True)
class VatRow:
    """The VAT of one rate: base excl. VAT and tax."""

    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Due:
    """A receivable of the document: a due date, or a payment already received."""

    kind: str
    due_date: date
    amount: Decimal
    mode: str
    state: str


@dataclass
class Invoice:
    """One sales document of type F or A with what its page shows."""

    id: int
    number: str
    type: str
    date: date
    reference: str
    customer_code: str
    customer_lines: list[str]
    depot_code: str | None
    depot_name: str | None
    total_excl_tax: Decimal
    total_tax: Decimal
    total_incl_tax: Decimal
    lines: list[Line] = field(default_factory=list)
    vat: list[VatRow] = field(default_factory=list)
    dues: list[Due] = field(default_factory=list)


def title_of(invoice: Invoice) -> str:
    """`Facture` or `Avoir`."""
    return KINDS.get(invoice.type, "Facture")


def unit_price(value: Decimal | None) -> str:
    """A unit price with the decimals it has, at least two: `18,325 €`, `1 200,00 €`."""
    if value is None:
        return ""
    text = f"{abs(value):f}"
    units, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{grouped(units)},{decimals}{NBSP}€"


def percent(value: Decimal | None) -> str:
    """`20 %`, `5,5 %`; empty for none or zero (a discount that is not one)."""
    if value is None or value == 0:
        return ""
    return f"{quantity(value)}{NBSP}%"


def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    ink = colors.Color(*INK)
    return {
        "company": ParagraphStyle("company", fontName=FONT_BOLD, fontSize=13, leading=16,
                                  textColor=ink),
        "small": ParagraphStyle("small", fontName=FONT, fontSize=8.5, leading=11),
        "title": ParagraphStyle("title", fontName=FONT_BOLD, fontSize=20, leading=24,
                                alignment=2, textColor=ink),
        "label": ParagraphStyle("label", fontName=FONT, fontSize=7.5, leading=9,
                                textColor=colors.Color(0.35, 0.35, 0.38)),
        "customer": ParagraphStyle("customer", fontName=FONT, fontSize=10, leading=13),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=9.5),
        "footer": ParagraphStyle("footer", fontName=FONT, fontSize=7.5, leading=9.5,
                                 alignment=1, textColor=colors.Color(0.3, 0.3, 0.33)),
        "section": ParagraphStyle("section", fontName=FONT_BOLD, fontSize=9, leading=12,
                                  textColor=ink, spaceBefore=2, spaceAfter=2),
    }


def _lines_html(lines: Sequence[str]) -> str:
    return "<br/>".join(escape(line) for line in lines if line)


def _head(invoice: Invoice, company: Company, styles: dict[str, Any]) -> list[Any]:
    """Company and document blocks side by side, then the reference and customer blocks."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    place = " ".join(part for part in (company.postcode, company.city) if part)
    identity = [company.address, place,
                f"SIRET : {company.siret}" if company.siret else "",
                f"N° TVA intracommunautaire : {company.vat_number}"
                if company.vat_number else ""]
    left = [Paragraph(escape(company.name), styles["company"]),
            Paragraph(_lines_html(identity), styles["small"])]
    right = [Paragraph(escape(title_of(invoice).upper()), styles["title"]),
             Spacer(0, 2 * mm), _number_box(invoice)]
    top = Table([[left, right]], colWidths=[96 * mm, 78 * mm])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                             ("LEFTPADDING", (0, 0), (0, 0), 0),
                             ("RIGHTPADDING", (-1, 0), (-1, 0), 0)]))
    depot = " ".join(part for part in (invoice.depot_code, invoice.depot_name) if part)
    facts = [("Code client", invoice.customer_code)]
    if invoice.reference:
        facts.append(("Référence", invoice.reference))
    if depot:
        facts.append(("Dépôt", depot))
    address = [Paragraph("Adresse de facturation", styles["label"]),
               Paragraph(_lines_html(invoice.customer_lines), styles["customer"])]
    middle = Table([[_facts(facts, styles), address]], colWidths=[92 * mm, 82 * mm])
    middle.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, 0), 0),
        ("BOX", (1, 0), (1, 0), 0.75, colors.Color(*INK)),
        ("LEFTPADDING", (1, 0), (1, 0), 4 * mm),
        ("TOPPADDING", (1, 0), (1, 0), 2 * mm),
        ("BOTTOMPADDING", (1, 0), (1, 0), 3 * mm),
    ]))
    return [top, Spacer(0, 10 * mm), middle, Spacer(0, 9 * mm)]


def _number_box(invoice: Invoice) -> Any:
    """The boxed number and date under the title."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    box = Table([["Numéro", "Date"], [invoice.number, day(invoice.date)]],
                colWidths=[42 * mm, 28 * mm], hAlign="RIGHT")
    box.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), FONT, 7.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.Color(0.35, 0.35, 0.38)),
        ("FONT", (0, 1), (-1, 1), FONT_BOLD, 10),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.90, 0.92, 0.95)),
        ("BOX", (0, 0), (-1, -1), 0.75, colors.Color(*INK)),
        ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.Color(*INK)),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return box


def _facts(pairs: Sequence[tuple[str, str]], styles: dict[str, Any]) -> Any:
    """Label / value lines (customer code, reference, depot), values in bold."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    value_style = styles["cell"].clone("value", fontName=FONT_BOLD, fontSize=9, leading=11)
    rows = [[label, Paragraph(escape(value), value_style)] for label, value in pairs]
    grid = Table(rows, colWidths=[22 * mm, 66 * mm], hAlign="LEFT")
    grid.setStyle(TableStyle([("FONT", (0, 0), (0, -1), FONT, 9),
                              ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("TOPPADDING", (0, 0), (-1, -1), 1),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                              ("LEFTPADDING", (0, 0), (0, -1), 0),
                              ("RIGHTPADDING", (-1, 0), (-1, -1), 0)]))
    return grid


def _line_rows(invoice: Invoice, styles: dict[str, Any]) -> list[list[Any]]:
    from reportlab.platypus import Paragraph

    return [[line.article, Paragraph(escape(line.description), styles["cell"]),
             quantity(line.quantity), unit_price(line.unit_price), percent(line.discount),
             percent(line.rate), money(line.total_excl_tax)] for line in invoice.lines]


def _totals(invoice: Invoice, styles: dict[str, Any]) -> Any:
    """The VAT per rate (left) and the document's totals (right), kept together."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    vat = table(("Taux TVA", "Base HT", "Montant TVA"),
                [(percent(row.rate) or f"0{NBSP}%", money(row.base), money(row.tax))
                 for row in invoice.vat], (24, 33, 33), right=(0, 1, 2), zebra=False)
    ink = colors.Color(*INK)
    totals = Table([["Total HT", money(invoice.total_excl_tax)],
                    ["Total TVA", money(invoice.total_tax)],
                    ["Total TTC", money(invoice.total_incl_tax)]],
                   colWidths=[38 * mm, 36 * mm], hAlign="RIGHT")
    totals.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 1), FONT, 9),
        ("FONT", (0, 2), (-1, 2), FONT_BOLD, 11),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEABOVE", (0, 2), (-1, 2), 0.75, ink),
        ("BACKGROUND", (0, 2), (-1, 2), colors.Color(0.90, 0.92, 0.95)),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    grid = Table([[[Paragraph("TVA par taux", styles["section"]), vat], totals]],
                 colWidths=[96 * mm, 78 * mm])
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                              ("LEFTPADDING", (0, 0), (0, 0), 0),
                              ("RIGHTPADDING", (-1, 0), (-1, 0), 0)]))
    return grid


def _dues(invoice: Invoice, styles: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    if not invoice.dues:
        return []
    rows = [(day(due.due_date), "Échéance" if due.kind == "due" else "Règlement reçu",
             due.mode, money(due.amount), STATES.get(due.state, due.state))
            for due in invoice.dues]
    grid = table(("Date", "Nature", "Mode de règlement", "Montant", "État"), rows,
                 (24, 32, 50, 30, 30), right=(3,), zebra=False)
    return [Spacer(0, 6 * mm), Paragraph("Échéances et règlements", styles["section"]), grid]


def _unit(invoice: Invoice, company: Company) -> Unit:
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    styles = _styles()
    flow: list[Any] = _head(invoice, company, styles)
    flow.append(table(HEADER, _line_rows(invoice, styles), WIDTHS_MM,
                      right=(2, 3, 4, 5, 6)))
    notes = [company.footer,
             " — ".join(part for part in (company.name, f"SIRET {company.siret}"
                                          if company.siret else "",
                                          f"TVA {company.vat_number}"
                                          if company.vat_number else "") if part)]
    # the totals, due dates and footer stay together: never a page of footer alone
    flow.append(KeepTogether([Spacer(0, 6 * mm), _totals(invoice, styles),
                              *_dues(invoice, styles), Spacer(0, 10 * mm),
                              Paragraph(_lines_html(notes), styles["footer"])]))
    return Unit(invoice.number, flow, running=f"{title_of(invoice)} {invoice.number} (suite)")


def document_title(invoices: Sequence[Invoice]) -> str:
    """The title every page carries: `Factures`, `Avoirs` or `Factures et avoirs`."""
    kinds = {invoice.type for invoice in invoices}
    if kinds == {"A"}:
        return "Avoirs"
    return "Factures et avoirs" if "A" in kinds else "Factures"


def write_invoices(path: Path, company: Company, invoices: Sequence[Invoice], *,
                   compress: bool = True) -> int:
    """Write `invoices` as one PDF, each on a new page with its bookmark; its page count."""
    return write_pdf(path, document_title(invoices), company.name,
                     [_unit(invoice, company) for invoice in invoices], compress=compress)


def write_zip(path: Path, company: Company, invoices: Sequence[Invoice],
              moment: datetime, names: Sequence[str]) -> None:
    """Write one ZIP holding `names[i]` (`<number>.pdf`, checked by the caller) = the PDF of
    `invoices[i]`; each member is dated `moment`."""
    scratch = path.with_name(f".{path.name}.invoice.pdf")
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute,
             moment.second)
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for invoice, name in zip(invoices, names, strict=True):
                write_pdf(scratch, f"{title_of(invoice)} {invoice.number}", company.name,
                          [_unit(invoice, company)])
                member = zipfile.ZipInfo(name, date_time=stamp)
                member.compress_type = zipfile.ZIP_DEFLATED
                member.external_attr = 0o644 << 16
                archive.writestr(member, scratch.read_bytes())
    finally:
        scratch.unlink(missing_ok=True)
