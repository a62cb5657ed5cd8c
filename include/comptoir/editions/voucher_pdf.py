"""The stock movement vouchers of `stock_vouchers` as PDF (`comptoir.editions.layout`).

One voucher per movement, starting on a new page, bookmarked with its number: the
movement's header (kind, date, depot, target depot or supplier, reference, state), its
lines (article, label, lot, quantity, unit cost to 4 decimals, value) in a table whose
header repeats when it flows over pages, the total, then the boxes to sign: who ships and
who receives a transfer, who hands a return to the supplier, who draws up and who checks
any other movement.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comptoir.editions.layout import Unit, fields, fit, heading, signature_boxes, table, write_pdf
from comptoir.retail.report_text import NBSP, day, grouped, money, quantity

if TYPE_CHECKING:
    from comptoir.automation.filenames import Store
    from comptoir.editions.stock_vouchers import Voucher

__all__ = ["TITLE", "unit_cost", "voucher", "write_vouchers"]

TITLE = "Bons de mouvement de stock"
HEADER = ("N°", "Article", "Désignation", "Lot", "Quantité", "Coût unitaire", "Valeur")
WIDTHS_MM = (10, 28, 58, 24, 18, 21, 21)
NAME_MM = WIDTHS_MM[2] - 3
LOT_MM = WIDTHS_MM[3] - 3
SIGNATURES = {
    "transfer": ["Expédié par :", "Transporté par :", "Reçu par :"],
    "supplier_return": ["Remis par :", "Transporteur :", "Reçu par le fournisseur :"],
}
OTHER_SIGNATURES = ["Établi par :", "Visa du responsable :"]


def unit_cost(value: Decimal | None) -> str:
    """`1 234,5000 €`: a unit cost to 4 decimals (half up), no-break spaces."""
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    units, decimals = f"{abs(amount):.4f}".split(".")
    return f"{'-' if amount < 0 else ''}{grouped(units)},{decimals}{NBSP}€"


def _party(store: Store) -> str:
    return f"{store.code} — {store.name}"


def voucher(header: Voucher, lines: Sequence[Any]) -> Unit:
    """One movement's voucher; `lines` as `stock_vouchers.lines_query` reads them."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    from comptoir.editions.stock_vouchers import KINDS

    label = KINDS[header.kind][0]
    pairs = [("Nature", label[:1].upper() + label[1:]), ("Date", day(header.date)),
             ("Dépôt", _party(header.depot))]
    if header.target is not None:
        pairs.append(("Dépôt destinataire", _party(header.target)))
    if header.supplier is not None:
        pairs.append(("Fournisseur", _party(header.supplier)))
    if header.reference:
        pairs.append(("Référence", fit(header.reference, 140, 9)))
    pairs.append(("État", "Validé" if header.validated else "Non validé"))
    rows: list[list[str]] = [
        [str(line.line_no), line.article, fit(line.article_name or "", NAME_MM),
         fit(line.lot or "", LOT_MM), quantity(line.quantity), unit_cost(line.unit_cost),
         money(line.value)]
        for line in lines]
    total = sum((Decimal(line.value) for line in lines if line.value is not None), Decimal(0))
    count = "1 ligne" if len(lines) == 1 else f"{len(lines)} lignes"
    rows.append(["", "Total", count, "", "", "", money(total)])
    signatures = SIGNATURES.get(header.kind, OTHER_SIGNATURES)
    flow = [heading(f"Bon de mouvement {header.number}"), fields(pairs, (35, 145)),
            Spacer(0, 5 * mm),
            table(HEADER, rows, WIDTHS_MM, right=(0, 4, 5, 6), totals=1),
            signature_boxes(signatures, width_mm=sum(WIDTHS_MM) / len(signatures))]
    return Unit(header.number, flow)


def write_vouchers(path: Path, company: str, vouchers: Sequence[tuple[Voucher, Sequence[Any]]],
                   *, compress: bool = True) -> int:
    """Write one voucher per (header, lines) at `path`; the page count."""
    return write_pdf(path, TITLE, company, [voucher(h, lines) for h, lines in vouchers],
                     compress=compress)
