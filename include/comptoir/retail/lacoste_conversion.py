"""`lacoste_conversion` ("Conversion Lacoste"): the Lacoste point of sale's DT42/DT43 pairs
converted into the dossier's POS sales-and-payments CSV (spec/retail-tasks.md).

The pairs wait in the task's inbox (`retail.lacoste_files` reads them). Per ticket (store
+ register + ticket + date of the foreign POS) the controls run: the mapped store is a
store of the dossier, the mapped payment modes exist, there are lines, and the lines add
up to the payments; a ticket that fails one is left out and named in the report. Rows of
every pair converted go to one file; then the pairs go to `done/<day>/`. A pair with a row
that cannot be read goes whole to `failed/<day>/` with the line and the reason; a file
whose partner has not come after `pair_timeout_hours` too. Nothing is written in the
dossier: the file is for the POS sales import (`pos_sales`, the POS contract).

`ART_CODE`: the article whose correspondence of connector LACOSTE (connector codes are
upper-case, `comptoir connector map`) is the REFERENCE, else the one whose correspondence
is the EAN, else the article whose code is the REFERENCE, else the REFERENCE as it is (the
EAN when the line has no reference).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, ProducedFile, TaskOutput, TaskType
from comptoir.automation.task_inbox import InboxOptions
from comptoir.editions.formats import refuse_store_tag
from comptoir.retail.csv_options import CsvOptions, write_csv
from comptoir.retail.lacoste_files import Key, Line, Name, Payment
from comptoir.retail.report_text import CENT, french, plural, trim

if TYPE_CHECKING:

    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext
    from comptoir.automation.task_inbox import TaskInbox

CONNECTOR = "lacoste"
PATTERN = "DT4*.txt"
COLUMNS = ("TYPE", "MAGASIN", "CAISSE", "TICKET", "DATE", "HEURE", "CLIENT", "LIGNE",
           "ART_CODE", "LIBELLE", "QTE", "PU_TTC", "REMISE", "MONTANT_TTC", "TAUX_TVA", "MODE",
           "MONTANT")
NOTHING = "Aucun fichier à convertir"
PLURALS = {"ticket rejeté": "tickets rejetés", "paire en échec": "paires en échec",
           "fichier en échec": "fichiers en échec"}


class Options(CsvOptions, InboxOptions):
    """Options of `lacoste_conversion`."""

    model_config = ConfigDict(extra="forbid")

    store_map: dict[str, str] = Field(
        default_factory=dict, title="Stores",
        description='Lacoste store → dossier store code, e.g. {"0042": "MAG01"}. A store '
        "not listed keeps its code.",
        json_schema_extra={"section": "Correspondences"})
    register_map: dict[str, str] = Field(
        default_factory=dict, title="Registers",
        description='Lacoste register → dossier register code, e.g. {"1": "C1"}. A '
        "register not listed keeps its code.",
        json_schema_extra={"section": "Correspondences"})
    payment_map: dict[str, str] = Field(
        default_factory=dict, title="Payment modes",
        description='Lacoste payment code → payment mode code, e.g. {"CHQ": "CH"}. A code '
        "not listed keeps its code.",
        json_schema_extra={"section": "Correspondences"})
    ticket_numbering: Literal["as_is", "date_prefixed"] = Field(
        default="as_is", title="Ticket numbers",
        description="as_is: the Lacoste number; date_prefixed, for a point of sale that "
        "restarts its numbers every day: YYMMDD × 10000 + number.",
        json_schema_extra={"section": "Conversion", "values_display": {
            "as_is": "As in the file", "date_prefixed": "Date-prefixed (YYMMDD × 10000 + n)"}})
    pair_timeout_hours: int = Field(
        default=24, ge=1, le=24 * 30, title="Wait for the partner file (hours)",
        description="How long a DT42 file waits for its DT43 file (and the reverse); then "
        "it goes to failed/.",
        json_schema_extra={"section": "Conversion"})


def check(options: BaseModel, filename: str | None) -> None:
    """One file holds every pair converted: `{mag:...}` is refused."""
    refuse_store_tag("lacoste_conversion", filename)


def price(value: Decimal) -> Decimal:
    """A unit price: two decimals, more when the file gives more (up to 4)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return value.quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return value.quantize(CENT)


@dataclass
class Ticket:
    """A ticket of the foreign POS: its lines and payments."""

    key: Key
    lines: list[Line] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)

    def label(self) -> str:
        store, register, number, day = self.key
        return f"ticket {store}/{register}/{number} du {day:%d/%m/%Y}"


@dataclass
class Lookups:
    """What the dossier knows, for the tickets of one pair."""

    stores: set[str]
    modes: set[str]
    articles: dict[tuple[str, str], str]  # (REFERENCE, EAN) → ART_CODE


def lookups(conn: Connection, tickets: list[Ticket], options: Options) -> Lookups:
    """The stores, payment modes and article codes the tickets name (a few statements)."""
    from sqlalchemy import select

    from comptoir.backoffice.schema import articles, depots, payment_modes
    from comptoir.econnector.correspondences import correspondences

    stores = {options.store_map.get(t.key[0], t.key[0]) for t in tickets}
    modes = {options.payment_map.get(p.mode, p.mode) for t in tickets for p in t.payments}
    lines = [line for t in tickets for line in t.lines]
    references = {line.reference for line in lines if line.reference}
    eans = {line.ean for line in lines if line.ean}
    by_reference = correspondences(conn, CONNECTOR, references)
    by_ean = correspondences(conn, CONNECTOR, eans)
    ids = set(by_reference.values()) | set(by_ean.values())
    code_of = dict(conn.execute(select(articles.c.id, articles.c.code)
                                .where(articles.c.id.in_(ids))).all()) if ids else {}
    resolved: dict[tuple[str, str], str] = {}
    for line in lines:
        if line.reference in by_reference:
            resolved[(line.reference, line.ean)] = code_of[by_reference[line.reference]]
        elif line.ean in by_ean:
            resolved[(line.reference, line.ean)] = code_of[by_ean[line.ean]]
        else:  # the article whose code is the REFERENCE, or the REFERENCE kept as it is
            resolved[(line.reference, line.ean)] = line.reference or line.ean
    return Lookups(
        stores=set(conn.execute(select(depots.c.code).where(
            depots.c.code.in_(stores), depots.c.is_store.is_(True))).scalars()),
        modes=set(conn.execute(select(payment_modes.c.code).where(
            payment_modes.c.code.in_(modes))).scalars()),
        articles=resolved)


def tickets_of(lines: list[Line], payments: list[Payment]) -> list[Ticket]:
    """The tickets of a pair, in the order they first appear."""
    found: dict[Key, Ticket] = {}
    for line in lines:
        found.setdefault(line.key, Ticket(line.key)).lines.append(line)
    for payment in payments:
        found.setdefault(payment.key, Ticket(payment.key)).payments.append(payment)
    return list(found.values())


def problem(ticket: Ticket, known: Lookups, options: Options) -> str | None:
    """Why the ticket is left out, None when it converts."""
    store = options.store_map.get(ticket.key[0], ticket.key[0])
    if store not in known.stores:
        return f"magasin {store} inconnu du dossier"
    for payment in ticket.payments:
        mode = options.payment_map.get(payment.mode, payment.mode)
        if mode not in known.modes:
            return f"mode de règlement {mode} inconnu"
    if not ticket.lines:
        return "règlements sans lignes"
    if options.ticket_numbering == "date_prefixed" and ticket.key[2] >= 10000:
        return f"numéro {ticket.key[2]} trop grand pour la numérotation date_prefixed"
    lines = sum((line.total for line in ticket.lines), Decimal(0))
    paid = sum((p.amount for p in ticket.payments), Decimal(0))
    if lines != paid:
        return f"lignes {french(lines)} ≠ règlements {french(paid)}"
    return None


def rows(ticket: Ticket, known: Lookups, options: Options) -> list[tuple[Any, ...]]:
    """The `L` rows, then the `R` rows, of a ticket that converts."""
    store, register, number, day = ticket.key
    if options.ticket_numbering == "date_prefixed":
        number = int(f"{day:%y%m%d}") * 10000 + number
    lines = sorted(ticket.lines, key=lambda line: line.line_no)
    customer = next((line.customer for line in lines if line.customer), None)
    head = (options.store_map.get(store, store), options.register_map.get(register, register),
            number, day)
    found: list[tuple[Any, ...]] = [
        ("L", *head, line.time.strftime("%H:%M:%S"), customer, line.line_no,
         known.articles[(line.reference, line.ean)], line.label, trim(line.quantity),
         price(line.unit_price), trim(line.discount), line.total.quantize(CENT, ROUND_HALF_UP),
         trim(line.vat_rate), None, None)
        for line in lines]
    time = lines[0].time.strftime("%H:%M:%S")
    found += [("R", *head, time, customer, rank, None, None, None, None, None, None, None,
               options.payment_map.get(p.mode, p.mode), p.amount.quantize(CENT, ROUND_HALF_UP))
              for rank, p in enumerate(ticket.payments, start=1)]
    return found


@dataclass
class PairResult:
    """What became of one pair."""

    names: tuple[Name, Name]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    converted: int = 0
    rejected: list[str] = field(default_factory=list)
    error: str | None = None

    def title(self) -> str:
        return f"{self.names[0].path.name} + {self.names[1].path.name}"

    def lines(self) -> list[str]:
        if self.error is not None:
            return [f"{self.title()} : non convertis, {self.error} (dans failed/)"]
        return [f"{self.title()} : {plural(self.converted, 'ticket converti', 'tickets convertis')}"
                f", {plural(len(self.rejected), 'rejeté', 'rejetés')}", *self.rejected]

    def document(self) -> dict[str, Any]:
        return {"pair": [n.path.name for n in self.names], "converted": self.converted,
                "rejected": self.rejected, "error": self.error}


def convert(conn: Connection, pair: tuple[Name, Name], options: Options) -> PairResult:
    """Read and convert one pair (nothing is written)."""
    from comptoir.retail.lacoste_files import Unreadable, read_lines, read_payments

    result = PairResult(pair)
    try:
        tickets = tickets_of(read_lines(pair[0].path), read_payments(pair[1].path))
    except Unreadable as exc:
        result.error = str(exc)
        return result
    known = lookups(conn, tickets, options)
    for ticket in tickets:
        why = problem(ticket, known, options)
        if why is None:
            result.rows += rows(ticket, known, options)
            result.converted += 1
        else:
            result.rejected.append(f"{ticket.label()} rejeté : {why}")
    return result


def _alone(ctx: RunContext, inbox: TaskInbox, name: Name, hours: int) -> tuple[str, bool]:
    """A file without its partner: the report line, and whether it went to failed/."""
    other = "DT43 Reglements" if name.kind == "42" else "DT42 Tickets"
    age = ctx.moment.timestamp() - name.path.stat().st_mtime
    if age < hours * 3600:
        return f"{name.path.name} : en attente de son fichier {other} du {name.day:%d/%m/%Y}", False
    reason = f"sans fichier {other} du {name.day:%d/%m/%Y} après {hours} h"
    inbox.inbox.failed(name.path, {"file": name.path.name, "error": reason},
                       day=ctx.moment.date())
    return f"{name.path.name} : {reason} (dans failed/)", True


def sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Date, store, register, ticket, lines before payments, rank."""
    return (row[4], row[1], row[2], row[3], row[0], row[7])


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Convert the pairs waiting in the inbox into one sales-and-payments file."""
    from comptoir.retail.inbox_files import inbox_of_run, waiting
    from comptoir.retail.lacoste_files import NAME_RULE, pairs, parse_name

    inbox = inbox_of_run(ctx, options)
    output = TaskOutput()
    problems: dict[str, int] = defaultdict(int)
    with inbox.inbox.processing():
        files = waiting(inbox, PATTERN)
        if not files:
            output.summary.append(NOTHING)
            return output
        named: list[Name] = []
        for path in files:
            name = parse_name(path)
            if name is None:
                inbox.inbox.failed(path, {"file": path.name, "error": NAME_RULE},
                                   day=ctx.moment.date())
                output.summary.append(f"{path.name} : nom inattendu, {NAME_RULE} (dans failed/)")
                problems["fichier en échec"] += 1
            else:
                named.append(name)
        pairing = pairs(named)
        with ctx.engine.connect() as conn:
            results = [convert(conn, pair, options) for pair in pairing.pairs]
        converted = sorted((row for r in results for row in r.rows), key=sort_key)
        if converted:
            path = ctx.work_dir / "lacoste-vente.csv"
            count = write_csv(path, COLUMNS, converted, options)
            output.files.append(ProducedFile(path, None, count))
        for result in results:
            move = inbox.inbox.failed if result.error else inbox.inbox.done
            for name in result.names:
                move(name.path, result.document(), day=ctx.moment.date())
            output.summary += result.lines()
            problems["ticket rejeté"] += len(result.rejected)
            problems["paire en échec"] += result.error is not None
            ctx.log(f"{result.title()}: {result.converted} converted, "
                    f"{len(result.rejected)} rejected, error {result.error}")
        for name in sorted(pairing.alone, key=lambda n: n.path.name):
            line, failed = _alone(ctx, inbox, name, options.pair_timeout_hours)
            output.summary.append(line)
            problems["fichier en échec"] += failed
    if results and not converted:
        output.summary.append("Pas de fichier : aucun ticket converti")
    said = [plural(n, what, PLURALS[what]) for what, n in problems.items() if n]
    if said:
        output.warning = ", ".join(said)
    return output


TASK_TYPE = TaskType(
    name="lacoste_conversion",
    title="Conversion Lacoste",
    category=Category.IMPORT_EXPORT,
    description=(
        "Converts the sales of a Lacoste point of sale, delivered as pairs of files (DT42 "
        "ticket lines, DT43 payments), into the dossier's POS sales-and-payments CSV for the "
        "POS sales import: stores, registers and payment modes mapped, articles found by "
        "their LACOSTE correspondences; a ticket whose lines and payments do not add up is "
        "left out and named."
    ),
    options=Options,
    run=run,
    default_filename="Lacoste-Vente-{y}-{m}-{d}.csv",
    template="inbox",
    check=check,
)
