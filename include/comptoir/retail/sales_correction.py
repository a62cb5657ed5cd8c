"""`sales_correction` ("Correction automatique des ventes"): apply the pending sales days
to the stock, correcting what the options allow (spec/retail-tasks.md).

The days of the selected stores and registers dated before the run date whose
`stock_state` is `pending` or `error` are taken per store in date order (then register
code). A day in error (unknown article code, a return keyed positive, a shortage) is
corrected when the options allow: unknown codes looked up again then put on
`misc_sub_family`; returns credited with `fix_returns`; shortages covered by kit splits
(`split_kits`, `EC`), then transfers from `transfer_stores` (`TR`) or an adjustment (`AV`),
all dated at the store's first day in error of the run. A day is updated whole (its `VT`
movement, `stock_state = 'updated'`, closed with `close_days`) or not at all (`error`,
its errors kept). One transaction under the dossier's stock lock; the statements do not
grow with the days or the lines (`sales_days_read`, `sales_days_plan`, `sales_days_write`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from comptoir.automation.catalog import Category, TaskOutput, TaskType
from comptoir.errors import ComptoirError
from comptoir.retail.scope import code_ids

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy import Connection

    from comptoir.automation.catalog import RunContext
    from comptoir.retail.sales_days_plan import Outcome, Plan

NOTHING = "Aucune journée de vente à mettre à jour"
HEAD = "Voici la liste des journées des ventes mises à jour :"


class SalesCorrectionError(ComptoirError):
    """The run cannot start as asked (an unknown code, transfers without depots)."""


class Options(BaseModel):
    """Options of `sales_correction`."""

    model_config = ConfigDict(extra="forbid")

    stores: list[str] = Field(
        default_factory=list, title="Stores",
        description="Store codes whose sales days are updated (one per line). Empty: every "
        "store.", json_schema_extra={"section": "Scope"})
    registers: list[str] = Field(
        default_factory=list, title="Registers",
        description="Register codes taken, such as C1, in every selected store. Empty: every "
        "register.", json_schema_extra={"section": "Scope"})
    method: Literal["transfers", "adjustments"] = Field(
        default="adjustments", title="Shortages corrected by",
        description="transfers: from the depots of transfer_stores, in that order; "
        "adjustments: one sales adjustment (AV) in the store.",
        json_schema_extra={"section": "Corrections"})
    transfer_stores: list[str] = Field(
        default_factory=list, title="Depots giving stock",
        description="Depot codes, in priority order, that give stock by transfer (required "
        "with transfers). A depot gives at most its stock minus what its own days still to "
        "update take.", json_schema_extra={"section": "Corrections"})
    misc_sub_family: str | None = Field(
        default=None, title="Sub-family of unknown codes", pattern=r"^[^/]+/[^/]+$",
        description="FAMILY/SUB, e.g. ZZZ/DIV: a line whose code matches no article becomes "
        "a sale of this sub-family (code kept). Empty: unknown codes stay in error.",
        json_schema_extra={"section": "Corrections"})
    fix_returns: bool = Field(
        default=False, title="Correct returns keyed as sales",
        description="A return line with a positive quantity credits the sale and the stock "
        "(quantity and amount negated, the ticket's total recomputed).",
        json_schema_extra={"section": "Corrections"})
    split_kits: bool = Field(
        default=False, title="Split kits",
        description="Split kits of the store (EC) to cover a missing component, as few as "
        "needed, before transfers or adjustments.",
        json_schema_extra={"section": "Corrections"})
    close_days: bool = Field(
        default=True, title="Close updated days",
        description="Close the days fully updated (integrated or posted days keep their "
        "status).", json_schema_extra={"section": "Corrections"})


def _check(options: Options) -> None:
    if options.method == "transfers" and not options.transfer_stores:
        raise SalesCorrectionError("option transfer_stores is required with method "
                                   "transfers (the depots giving stock, in priority order)")


def _sub_family(conn: Connection, label: str | None) -> int | None:
    from sqlalchemy import select

    from comptoir.backoffice.schema import families, sub_families

    if label is None:
        return None
    family, sub = label.split("/", 1)
    found = conn.execute(select(sub_families.c.id)
                         .join(families, families.c.id == sub_families.c.family_id)
                         .where(families.c.code == family, sub_families.c.code == sub)
                         ).scalar_one_or_none()
    if found is None:
        raise SalesCorrectionError(f"unknown sub-family in option misc_sub_family: {label}")
    return found


def _registers(conn: Connection, codes: list[str], store_ids: list[int]) -> None:
    from sqlalchemy import select

    from comptoir.backoffice.schema import registers

    if not codes:
        return
    known = set(conn.execute(select(registers.c.code).where(
        registers.c.depot_id.in_(store_ids), registers.c.code.in_(codes))).scalars())
    missing = sorted(set(codes) - known)
    if missing:
        raise SalesCorrectionError(
            f"unknown register code(s) in option registers: {', '.join(missing)}")


def report_lines(plan: Plan, names: dict[int, str], corrections: int,
                 dates: list[dt.date]) -> list[str]:
    """The report: one line per day (date, store, register order), its errors, a total."""
    from comptoir.retail.sales_days_plan import error_text

    if not plan.outcomes:
        return [NOTHING]
    lines = [HEAD]
    ordered = sorted(plan.outcomes, key=lambda o: (o.day.date, o.day.store, o.day.register))
    for outcome in ordered:
        day = outcome.day
        state = "Journée à jour" if outcome.updated else "Journée toujours en erreur"
        lines.append(f"{day.date:%d/%m/%Y} magasin {day.store} {day.store_name} caisse "
                     f"{day.register} ({state})")
        lines.extend(f"    - {error_text(error, names)}" for error in outcome.errors)
    updated = sum(o.updated for o in plan.outcomes)
    total = len(plan.outcomes)
    days = "1 journée traitée" if total == 1 else f"{total} journées traitées"
    if corrections:
        moved = ("1 mouvement de correction daté" if corrections == 1
                 else f"{corrections} mouvements de correction datés")
        when = " et du ".join(f"{d:%d/%m/%Y}" for d in dates)
        tail = f"{moved} du {when} (détail : journal « Mise à jour des ventes »)"
    else:
        tail = "aucun mouvement de correction"
    lines.append(f"{days} : {updated} à jour, {total - updated} toujours en erreur ; {tail}")
    return lines


def _still_in_error(outcomes: list[Outcome]) -> int:
    return sum(not o.updated for o in outcomes)


def run(ctx: RunContext, options: Options) -> TaskOutput:
    """Update the pending sales days, correcting what the options allow."""
    import datetime as dt

    from sqlalchemy import select

    from comptoir.backoffice.dossier_time import dossier_zone
    from comptoir.backoffice.schema import depots as d
    from comptoir.retail import stock_lock
    from comptoir.retail.sales_days_plan import Rules, plan
    from comptoir.retail.sales_days_read import (
        Remedies,
        article_codes,
        read_remedies,
        read_sales,
    )
    from comptoir.retail.sales_days_write import Names, write

    _check(options)
    with ctx.engine.begin() as conn:
        stock_lock.acquire(conn)
        stores = code_ids(conn, d, options.stores, "stores", "store", d.c.is_store.is_(True))
        store_ids = sorted(stores.values())
        _registers(conn, options.registers, store_ids)
        givers = code_ids(conn, d, options.transfer_stores, "transfer_stores", "depot")
        giver_ids = ([givers[code] for code in options.transfer_stores]
                     if options.method == "transfers" else [])
        misc = _sub_family(conn, options.misc_sub_family)
        run_date = ctx.moment.astimezone(dossier_zone(conn)).date()
        depot_rows = conn.execute(select(d.c.id, d.c.code, d.c.name).where(
            d.c.id.in_(set(store_ids) | set(givers.values())))).all()
        store_names = {r.id: (r.code, r.name) for r in depot_rows}
        sales = read_sales(conn, store_ids, options.registers, run_date, store_names)
        rules = Rules(options.method, giver_ids, misc, options.fix_returns,
                      options.split_kits)
        remedies = Remedies()
        needs_data = options.split_kits or options.method == "transfers"
        result = plan(sales, remedies, rules, discover=needs_data)
        # nothing short: the discovery pass made no correction, it is the real plan
        while needs_data and result.short:
            read_remedies(conn, remedies, result.short, store_ids, giver_ids,
                          options.split_kits, run_date)  # only the articles not read yet
            result = plan(sales, remedies, rules)
            if result.short <= remedies.loaded:
                break
        del sales, remedies  # the plan holds what the writing needs: free the read lines
        shown = {e[0] for o in result.outcomes for e in o.errors if isinstance(e, tuple)}
        shown |= {line[0] for o in result.outcomes for c in o.corrections for line in c.lines}
        shown |= {f.article_id for o in result.outcomes for f in o.fixes if f.article_id}
        codes = article_codes(conn, shown)
        written = write(conn, result, Names(codes, {r.id: r.code for r in depot_rows},
                                            options.misc_sub_family),
                        task_id=ctx.task_id, run_id=ctx.run_id,
                        misc_sub_family_id=misc, close_days=options.close_days,
                        now=dt.datetime.now(dt.UTC))
    dates = sorted({c.date for o in result.outcomes for c in o.corrections})
    summary = report_lines(result, codes, written.corrections, dates)
    left = _still_in_error(result.outcomes)
    ctx.log(f"{len(result.outcomes)} sales day(s) taken, {left} still in error, "
            f"{written.corrections} correction movement(s)")
    warning = None
    if left:
        warning = ("1 journée toujours en erreur" if left == 1
                   else f"{left} journées toujours en erreur")
    return TaskOutput(summary=summary, warning=warning)


TASK_TYPE = TaskType(
    name="sales_correction",
    title="Correction automatique des ventes",
    category=Category.SYSTEME,
    description=(
        "Applies the pending sales days (before today) to the stores' stock, one VT movement "
        "per day, and corrects what the options allow: unknown codes, returns keyed as "
        "sales, shortages (kit splits, transfers or sales adjustments dated at the store's "
        "first day in error). A day still in error is left whole for a person; a second run "
        "takes only the days not yet updated."
    ),
    options=Options,
    run=run,
    produces_files=False,
)
