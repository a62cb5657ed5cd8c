"""The cash sheets of `daily_journal` as PDF (the frame of `comptoir.editions.layout`).

One unit per store and day (a new page, bookmarked `STORE DD/MM/YYYY`), in store then
day order: the turnover by kind, the VAT per rate with its base and tax, the payments
per mode, the check of payments against the net total (the difference highlighted when
not zero), then, with `by_register`, the same blocks per register, and boxes to sign.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comptoir.automation.catalog import ProducedFile
from comptoir.editions.layout import FONT, FONT_BOLD, Unit, heading, signature_boxes, table
from comptoir.editions.layout import fields as field_block
from comptoir.retail.report_text import day, money, quantity

if TYPE_CHECKING:
    from comptoir.editions.daily_journal import Block, Written

TITLE = "Brouillard de caisse"
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
OTHER_KINDS = {"invoice_payment": "Règlements de factures", "deposit": "Acomptes"}
KIND_LABELS = {"sale": "Ventes", "return": "Retours", "defective": "Défectueux",
               **OTHER_KINDS}
ALERT = (0.80, 0.10, 0.10)
PALE_ALERT = (0.99, 0.90, 0.90)
PALE_OK = (0.91, 0.96, 0.91)


def _turnover(block: Block, size: float) -> Any:
    rows = []
    for kind in ("sale", "return", "defective", *OTHER_KINDS):
        figures = block.kind(kind)
        if kind in OTHER_KINDS and not figures.count:
            continue
        rows.append([KIND_LABELS[kind], str(figures.count), quantity(figures.quantity),
                     money(figures.amount)])
    net = block.net
    tickets = "1 ticket" if block.tickets == 1 else f"{block.tickets} tickets"
    rows.append([f"Total net ({tickets})", str(net.count), quantity(net.quantity),
                 money(net.amount)])
    return table(("Chiffre d'affaires", "Lignes", "Quantité", "Montant TTC"), rows,
                 (95, 25, 25, 35), right=(1, 2, 3), totals=1, size=size)


def _vat(block: Block, size: float) -> Any:
    rows = []
    bases = taxes = amounts = 0
    for rate, figures, base, tax in block.vat():
        rows.append([f"{quantity(rate)} %", str(figures.count), quantity(figures.quantity),
                     money(figures.amount), money(base), money(tax)])
        bases, taxes, amounts = bases + base, taxes + tax, amounts + figures.amount
    rows.append(["Total", "", "", money(amounts), money(bases), money(taxes)])
    return table(("Taux de TVA", "Lignes", "Quantité", "Montant TTC", "Base HT", "TVA"),
                 rows, (40, 22, 23, 35, 30, 30), right=(1, 2, 3, 4, 5), totals=1, size=size)


def _payments(block: Block, size: float) -> Any:
    rows = [[code, block.payments[code].label, str(block.payments[code].count),
             money(block.payments[code].amount)] for code in sorted(block.payments)]
    count = sum(f.count for f in block.payments.values())
    rows.append(["Total des règlements", "", str(count), money(block.paid)])
    return table(("Mode", "Règlement", "Nombre", "Montant"), rows, (30, 90, 25, 35),
                 right=(2, 3), totals=1, size=size)


def _check(block: Block, size: float) -> Any:
    """Payments, net total and their difference; the difference in red when not zero."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    difference = block.difference
    verdict = "conforme" if not difference else "à justifier"
    grid = Table([["Total des règlements", money(block.paid)],
                  ["Total net des ventes", money(block.net.amount)],
                  [f"Écart de règlement ({verdict})", money(difference)]],
                 colWidths=[70 * mm, 35 * mm], hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 1), FONT, size),
        ("FONT", (0, 2), (-1, 2), FONT_BOLD, size + 1),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEABOVE", (0, 2), (-1, 2), 0.75, colors.black),
        ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if difference:
        style += [("BACKGROUND", (0, 2), (-1, 2), colors.Color(*PALE_ALERT)),
                  ("TEXTCOLOR", (0, 2), (-1, 2), colors.Color(*ALERT)),
                  ("BOX", (0, 2), (-1, 2), 1.5, colors.Color(*ALERT))]
    else:
        style.append(("BACKGROUND", (0, 2), (-1, 2), colors.Color(*PALE_OK)))
    grid.setStyle(TableStyle(style))
    return grid


def _figures(block: Block, size: float) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    gap = Spacer(0, 3 * mm)
    return [_turnover(block, size), gap, _vat(block, size), gap, _payments(block, size),
            gap, _check(block, size)]


def _unit(blocks: Sequence[Block]) -> Unit:
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, KeepTogether, Spacer

    store_block, registers = blocks[0], blocks[1:]
    store = store_block.store
    when = store_block.day
    flow: list[Any] = [
        heading(f"Brouillard du {WEEKDAYS[when.weekday()]} {day(when)} : {store.code} "
                f"{store.name}", 13),
        field_block([("Magasin", f"{store.code} {store.name}"), ("Journée", day(when)),
                     ("Tickets", str(store_block.tickets)),
                     ("Total net", money(store_block.net.amount))], (30, 120)),
        Spacer(0, 4 * mm),
        *_figures(store_block, 9),
    ]
    for block in registers:
        flow += [Spacer(0, 6 * mm), CondPageBreak(60 * mm),
                 KeepTogether([heading(f"Caisse {block.register} : {store.code} "
                                       f"{day(when)} — {block.tickets} ticket(s)", 11),
                               *_figures(block, 8)])]
    flow.append(signature_boxes(["Établi par :", "Contrôlé le :", "Visa du responsable :"]))
    return Unit(f"{store.code} {day(when)}", flow)


def write_sheets(folder: Path, company: str, blocks: Iterable[Block],
                 per_store: bool) -> tuple[Written, list[ProducedFile]]:
    """Write the cash sheets of `blocks` (as `journal_blocks` yields them) into `folder`:
    one file, or one per store; what was written and the files (none when no block)."""
    from comptoir.editions.daily_journal import Written, tally
    from comptoir.editions.layout import write_pdf

    written = Written()
    days: dict[tuple[str, Any], list[Block]] = {}
    for block in blocks:
        tally(written, block)
        days.setdefault((block.store.code, block.day), []).append(block)
    ordered = [days[key] for key in sorted(days)]
    groups: list[list[list[Block]]] = []
    for unit_blocks in ordered:
        if per_store and groups and groups[-1][0][0].store == unit_blocks[0].store:
            groups[-1].append(unit_blocks)
        elif per_store or not groups:
            groups.append([unit_blocks])
        else:
            groups[0].append(unit_blocks)
    files = []
    for index, group in enumerate(groups):
        path = folder / f"brouillard-{index}.pdf"
        write_pdf(path, TITLE, company, [_unit(unit_blocks) for unit_blocks in group])
        files.append(ProducedFile(path, group[0][0].store if per_store else None,
                                  len(group)))
    return written, files
