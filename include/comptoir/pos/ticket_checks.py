"""The rules a new ticket must pass to be integrated (`spec/pos.md`, "Integration").

Everything here works on one file's rows at a time, column by column (pandas), against
reference data read once per run (`References`): no statement per ticket. A ticket
breaking a rule is rejected alone, with one rejection per rule broken (`ticket`, `line`
when a line or payment broke it, `rule`, `field`, `message`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from comptoir.pos import ticket_values as tv
from comptoir.pos.package_csv import CsvTable

SALES_KINDS = ("sale", "return", "defective")
ACCOUNT_KINDS = ("invoice_payment", "deposit")
KINDS = SALES_KINDS + ACCOUNT_KINDS
REJECTION_COLUMNS = ["ticket", "line", "rule", "field", "message"]


@dataclass
class References:
    """What the rules look codes up in: the dossier's reference data, read once per run."""

    registers: dict[tuple[str, str], tuple[int, int]]  # (store, register) → (depot, register id)
    customers: dict[str, int]
    articles: dict[str, int]
    article_vat_ids: dict[str, int]  # article code → its VAT code id
    article_rates: dict[str, int]  # article code → its VAT rate × 1000
    vat_by_rate: dict[int, int]  # rate × 1000 → id of the lowest code with that rate
    modes: dict[str, int]
    credit_modes: frozenset[str]
    deposit_modes: frozenset[str]
    documents: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Number → (type, customer id): the invoices and orders the file's lines refer to."""


@dataclass
class Rows:
    """A file's tickets, lines and payments, read (values null where unreadable)."""

    tickets: pd.DataFrame
    lines: pd.DataFrame
    payments: pd.DataFrame


def read_rows(tickets: CsvTable, lines: CsvTable, payments: CsvTable) -> Rows:
    """The three members' columns read into typed frames (`ticket_values`)."""
    t = pd.DataFrame({name: tv.text(tickets.column(name)) for name in tickets.header})
    t["number"] = tv.integers(t["ticket"])
    t["issued"] = tv.instants(t["issued_at"])
    t["sales_day"] = tv.days(t["day"])
    t["total"] = tv.scaled(t["total_incl_tax"], tv.AMOUNT)
    t["file_line"] = tickets.line_numbers
    ln = pd.DataFrame({name: tv.text(lines.column(name)) for name in lines.header})
    ln["number"] = tv.integers(ln["ticket"])
    ln["line_no"] = tv.integers(ln["line"])
    ln["qty"] = tv.scaled(ln["quantity"], tv.QUANTITY)
    ln["unit"] = tv.scaled(ln["unit_price_incl_tax"], tv.UNIT_PRICE)
    ln["disc"] = tv.scaled(ln["discount"], tv.RATE)
    ln["rate"] = tv.scaled(ln["vat_rate"], tv.RATE)
    ln["total"] = tv.scaled(ln["total_incl_tax"], tv.AMOUNT)
    p = pd.DataFrame({name: tv.text(payments.column(name)) for name in payments.header})
    p["number"] = tv.integers(p["ticket"])
    p["line_no"] = tv.integers(p["line"])
    p["amt"] = tv.scaled(p["amount"], tv.AMOUNT)
    p["due"] = tv.days(p["due_date"])
    for frame in (t, ln, p):
        frame["key"] = ticket_keys(frame["ticket"], frame["number"])
    return Rows(t, ln, p)


def ticket_keys(raw: pd.Series, number: pd.Series) -> pd.Series:
    """The ticket each row belongs to: its number when readable (`0149` is 149), else the
    text as written (such a ticket is rejected `invalid_value`)."""
    return number.astype("object").where(number.notna(), raw)


class _Found:
    """Rejections collected rule by rule, as frames."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, frame: pd.DataFrame, mask: pd.Series, rule: str, field_name: str | None,
            message: pd.Series | str | Callable[[], pd.Series], *, line: bool) -> None:
        """Rejections of the rows `mask` selects; `message` may be a callable, called only
        when a row broke the rule (most files break none)."""
        if not mask.any():
            return
        if callable(message):
            message = message()
        rows = frame[mask]
        self.parts.append(pd.DataFrame({
            "ticket": rows["key"].to_numpy(dtype=object),
            "line": rows["line_no"].astype("object").where(rows["line_no"].notna(), None)
            .to_numpy() if line else None,
            "rule": rule, "field": field_name,
            "message": (message[mask] if isinstance(message, pd.Series) else message),
        }).reset_index(drop=True))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=REJECTION_COLUMNS)
        found = pd.concat(self.parts, ignore_index=True)
        return found.drop_duplicates(["ticket", "line", "rule", "field"], ignore_index=True)


def _unreadable(found: _Found, frame: pd.DataFrame, columns: dict[str, str],
                *, line: bool, optional: tuple[str, ...] = ()) -> None:
    """`invalid_value` for every given value (or required one) that could not be read."""
    for raw, parsed in columns.items():
        given = tv.given(frame[raw])
        bad = frame[parsed].isna() & (given | (raw not in optional))
        found.add(frame, bad, "invalid_value", raw,
                  lambda raw=raw: f"{raw} " + frame[raw].fillna("").map(repr) + " cannot be read",
                  line=line)


def check(rows: Rows, refs: References) -> pd.DataFrame:
    """Every rejection of the new tickets of one file (see the module's documentation)."""
    t, ln, p = rows.tickets, rows.lines, rows.payments
    found = _Found()
    t = t.assign(line_no=pd.NA)
    _unreadable(found, t, {"ticket": "number", "issued_at": "issued", "day": "sales_day",
                           "total_incl_tax": "total"}, line=False)
    _unreadable(found, ln, {"line": "line_no", "quantity": "qty",
                            "unit_price_incl_tax": "unit", "discount": "disc",
                            "vat_rate": "rate", "total_incl_tax": "total"},
                line=True, optional=("discount",))
    _unreadable(found, p, {"line": "line_no", "amount": "amt", "due_date": "due"},
                line=True, optional=("due_date",))
    sales = ln["kind"].isin(SALES_KINDS)
    account = ln["kind"].isin(ACCOUNT_KINDS)
    found.add(ln, ~(sales | account), "invalid_value", "kind",
              lambda: "kind " + ln["kind"].map(repr) + " is not one of " + ", ".join(KINDS),
              line=True)
    has_article = tv.given(ln["article"])
    found.add(ln, sales & ~has_article, "invalid_value", "article",
              "a sales line needs an article", line=True)
    refunds = ln["kind"].isin(("return", "defective"))
    found.add(ln, refunds & ~((ln["qty"] < 0) & (ln["total"] < 0)).fillna(False).astype(bool),
              "invalid_value", "quantity",
              "a return or defective line has a negative quantity and total", line=True)
    plain = (ln["qty"] == 1000) & (ln["unit"] == ln["total"] * 100) & (ln["rate"] == 0)
    found.add(ln, account & (has_article | ~plain.fillna(False).astype(bool)), "invalid_value",
              "article", "an account operation has no article, quantity 1, unit price = total "
              "and VAT rate 0", line=True)
    has_document = tv.given(ln["document"])
    found.add(ln, account & ~has_document, "invalid_value", "document",
              "an account operation needs its document number", line=True)

    customer_given = tv.given(t["customer"])
    found.add(t, customer_given & ~t["customer"].isin(list(refs.customers)), "unknown_customer",
              "customer", lambda: "customer " + t["customer"] + " is not in the dossier",
              line=False)
    found.add(ln, sales & has_article & ~ln["article"].isin(list(refs.articles)),
              "unknown_article", "article",
              lambda: "article " + ln["article"] + " is not in the dossier", line=True)
    found.add(p, ~p["mode"].isin(list(refs.modes)), "unknown_payment_mode", "mode",
              lambda: "payment mode " + p["mode"].map(repr) + " is not in the dossier",
              line=True)
    vat = vat_codes(ln, refs)
    found.add(ln, sales & ln["rate"].notna() & vat.isna(), "unknown_vat_rate", "vat_rate",
              lambda: "no VAT code has the rate " + ln["vat_rate"] + " %", line=True)
    _documents(found, t, ln, p, refs)

    line_counts = ln.groupby("key").size()
    found.add(t, ~t["key"].isin(line_counts.index), "no_lines", None,
              "the ticket has no line", line=False)
    _totals(found, t, ln, p, refs, sales)
    return found.frame()


def vat_codes(ln: pd.DataFrame, refs: References) -> pd.Series:
    """Each line's VAT code: its article's when the rates match, else the lowest code with
    the line's rate; null when no code has it."""
    own_id = ln["article"].map(refs.article_vat_ids)
    own_rate = ln["article"].map(refs.article_rates)
    by_rate = ln["rate"].map(refs.vat_by_rate)
    matches = ln["rate"].notna() & (own_rate == ln["rate"]).fillna(False) & own_id.notna()
    return own_id.where(matches, by_rate).astype("Int64")


def _documents(found: _Found, t: pd.DataFrame, ln: pd.DataFrame, p: pd.DataFrame,
               refs: References) -> None:
    """unknown_document and customer_mismatch of the account operations."""
    docs = refs.documents
    wanted = {"invoice_payment": "F", "deposit": "C"}
    account = ln[ln["kind"].isin(ACCOUNT_KINDS) & tv.given(ln["document"])]
    doc_type = account["document"].map(lambda n: docs.get(n, (None, None))[0])
    found.add(account, doc_type != account["kind"].map(wanted), "unknown_document", "document",
              account["kind"].map({"invoice_payment": "invoice ", "deposit": "order "})
              + account["document"] + " is not in the dossier", line=True)
    deposit_pay = p[p["mode"].isin(list(refs.deposit_modes))]
    ref_type = deposit_pay["reference"].map(lambda n: docs.get(n, (None, None))[0])
    found.add(deposit_pay, ref_type != "C", "unknown_document", "reference",
              "a deposit payment names the order whose deposit it uses: "
              + deposit_pay["reference"].map(repr) + " is no order of the dossier", line=True)

    customer_of = t.set_index("key")["customer"].map(refs.customers.get)
    references = pd.concat([
        account[["key", "document"]],
        deposit_pay[["key", "reference"]].rename(columns={"reference": "document"}),
    ], ignore_index=True)
    references["owner"] = references["document"].map(lambda n: docs.get(n, (None, None))[1])
    references["customer"] = references["key"].map(customer_of)
    known = references["owner"].notna()
    mismatch = known & (references["customer"].isna()
                        | (references["customer"] != references["owner"]))
    tickets = set(references.loc[mismatch, "key"])
    found.add(t, t["key"].isin(tickets), "customer_mismatch", "customer",
              "an account operation needs the customer of its document", line=False)


def _totals(found: _Found, t: pd.DataFrame, ln: pd.DataFrame, p: pd.DataFrame,
            refs: References, sales: pd.Series) -> None:
    """total_mismatch and credit_not_allowed (on readable amounts only)."""
    line_sum = ln.groupby("key")["total"].sum(min_count=1)
    pay_sum = p.groupby("key")["amt"].sum(min_count=1)
    unreadable = set(ln.loc[ln["total"].isna(), "key"]) | set(p.loc[p["amt"].isna(), "key"])
    total = t.set_index("key")["total"]
    by_lines = line_sum.reindex(total.index)
    by_pay = pay_sum.reindex(total.index).fillna(0)
    has_lines = total.index.isin(line_sum.index)
    wrong = (total.notna() & ~total.index.isin(list(unreadable))
             & ((has_lines & (by_lines != total)) | (by_pay != total))).fillna(False)
    found.add(t, t["key"].map(wrong).fillna(False).astype(bool), "total_mismatch",
              "total_incl_tax", "the lines or the payments do not add up to the ticket's total",
              line=False)
    credit = p[p["mode"].isin(list(refs.credit_modes))]
    anonymous = set(t.loc[~tv.given(t["customer"]), "key"])
    found.add(credit, credit["key"].isin(anonymous), "credit_not_allowed", "mode",
              "a credit payment needs a named customer", line=True)
    sales_part = ln[sales].groupby("key")["total"].sum(min_count=1)
    credit_sum = credit.groupby("key")["amt"].sum(min_count=1)
    above = (credit_sum > sales_part.reindex(credit_sum.index).fillna(0)).fillna(False)
    found.add(t, t["key"].map(above).fillna(False).astype(bool), "credit_not_allowed",
              "mode", "credit payments above the ticket's sales", line=False)
