"""Article correspondences of a connector: the partner's external codes → the dossier's articles.

An external code is 1–60 characters, compared exactly after trimming spaces; it maps to
one article of the connector, while an article may have several (`spec/econnector.md`,
"Article correspondences"). Ways 1 and 2 of the contract live here: one code at a time
(`map_article`, `unmap`), and the listing the user fills (`mapping_rows`) loaded back in
bulk (`map_bulk`). `correspondences` is the bulk lookup a reception uses.

`map_bulk`, where the contract is silent:

- a row's `CODE_EXTERNE` is split on `|`; parts are trimmed, empty parts are ignored,
  and a code listed twice in one row counts once;
- a code longer than 60 characters is rule `invalid_value` (field CODE_EXTERNE), as an
  import names a value too long;
- a row is accepted or rejected whole (one entry per rule broken, naming its codes);
- `duplicate_in_file` rejects the rows of every later occurrence of a code, whatever
  happens to its first occurrence;
- the file never removes a correspondence (that is `unmap`); a code already mapped to the
  row's article changes nothing;
- the file is read with the connector's separator, the one `mappings` writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from comptoir.backoffice.schema import article_correspondences, articles
from comptoir.econnector.filters import article_condition, check_article_filter
from comptoir.econnector.settings import ConnectorError, check_code, load_connector
from comptoir.errors import ComptoirError
from comptoir.imports import loader
from comptoir.imports.entities.base import quote_columns
from comptoir.imports.readers import LINE, read_csv
from comptoir.imports.rejections import COLUMNS, RejectionLog
from comptoir.imports.report import ImportReport

__all__ = ["ARTICLE", "CODES_SEPARATOR", "COLUMNS_OUT", "DESIG", "EXTERNAL_CODE", "MAX_LENGTH",
           "MappingRow", "check_external_code", "correspondences", "map_article", "map_bulk",
           "mapping_rows", "split_codes", "unmap"]

MAX_LENGTH = 60
ARTICLE, DESIG, EXTERNAL_CODE = "ARTICLE", "DESIG", "CODE_EXTERNE"
COLUMNS_OUT = (ARTICLE, DESIG, EXTERNAL_CODE)
"""The columns of the listing `mappings` writes and `map_bulk` reads."""
CODES_SEPARATOR = "|"
_IN_CHUNK = {"sqlite": 900}
"""Values per `IN (...)` list: SQLite's bound-parameter limit is 999 on old versions;
other databases take the 3,000 codes of a big reception in one statement."""

corr = article_correspondences


@dataclass(frozen=True)
class MappingRow:
    """An article and its external codes for one connector (sorted)."""

    article: str
    name: str
    external_codes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"article": self.article, "name": self.name,
                "external_codes": list(self.external_codes)}


def check_external_code(code: str | None) -> str:
    """The code trimmed; `ConnectorError` when it is empty or longer than 60 characters."""
    code = (code or "").strip()
    if not code:
        raise ConnectorError("an external code cannot be empty")
    if len(code) > MAX_LENGTH:
        raise ConnectorError(f"external code {code[:MAX_LENGTH]}… is {len(code)} characters "
                             f"long; at most {MAX_LENGTH}")
    return code


def split_codes(value: str | None) -> list[str]:
    """A `CODE_EXTERNE` field's codes: split on `|`, trimmed, empty parts and repeats left out."""
    parts = (part.strip() for part in (value or "").split(CODES_SEPARATOR))
    return list(dict.fromkeys(part for part in parts if part))


def _in_chunks(conn: Connection, values: Iterable[str]) -> Iterable[list[str]]:
    wanted = sorted(set(values))
    size = _IN_CHUNK.get(conn.dialect.name, 10_000)
    for start in range(0, len(wanted), size):
        yield wanted[start:start + size]


def _mapped(conn: Connection, connector: str,
            codes: Iterable[str]) -> dict[str, tuple[int, int, str]]:
    """External code → (correspondence id, article id, article code), for the codes mapped."""
    found: dict[str, tuple[int, int, str]] = {}
    query = (select(corr.c.external_code, corr.c.id, corr.c.article_id, articles.c.code)
             .join(articles, articles.c.id == corr.c.article_id))
    for chunk in _in_chunks(conn, codes):
        rows = conn.execute(query.where(corr.c.connector == connector,
                                        corr.c.external_code.in_(chunk)))
        found.update({code: (ident, article, article_code)
                      for code, ident, article, article_code in rows})
    return found


def _article_ids(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    """Article code → id, for the codes the dossier has."""
    found: dict[str, int] = {}
    for chunk in _in_chunks(conn, codes):
        found.update(conn.execute(select(articles.c.code, articles.c.id)
                                  .where(articles.c.code.in_(chunk))).all())
    return found


def correspondences(conn: Connection, code: str,
                    external_codes: Iterable[str]) -> dict[str, int]:
    """External code (as given) → article id, for the codes mapped for connector `code`.

    Codes are compared after trimming spaces; a few statements whatever their number.
    """
    connector = check_code(code)
    given = {raw: raw.strip() for raw in external_codes if raw and raw.strip()}
    mapped = _mapped(conn, connector, given.values())
    return {raw: mapped[trimmed][1] for raw, trimmed in given.items() if trimmed in mapped}


def _article_id(conn: Connection, article_code: str) -> int:
    article_code = (article_code or "").strip()
    ident = _article_ids(conn, [article_code]).get(article_code)
    if ident is None:
        raise ConnectorError(f"the dossier has no article {article_code!r}")
    return ident


def map_article(conn: Connection, connector_code: str, article_code: str, external_code: str,
                *, replace: bool = False, label: str | None = None) -> str:
    """Map `external_code` to the article; returns `created`, `moved` or `unchanged`.

    `ConnectorError`, nothing changed: unknown connector or article, an invalid code, or
    the code mapped to another article (unless `replace`, which moves it).
    """
    connector = load_connector(conn, connector_code).code
    code = check_external_code(external_code)
    article_id = _article_id(conn, article_code)
    current = _mapped(conn, connector, [code]).get(code)
    if current is None:
        conn.execute(insert(corr).values(connector=connector, external_code=code,
                                         article_id=article_id, label=label))
        return "created"
    ident, mapped_to, mapped_code = current
    if mapped_to == article_id:
        return "unchanged"
    if not replace:
        raise ConnectorError(f"external code {code} is already mapped to article "
                             f"{mapped_code} for connector {connector}; --replace moves it")
    values: dict[str, Any] = {"article_id": article_id}
    if label is not None:
        values["label"] = label
    conn.execute(update(corr).where(corr.c.id == ident).values(**values))
    return "moved"


def unmap(conn: Connection, code: str, external_code: str) -> str:
    """Remove the correspondence of `external_code`; returns the article it mapped to.

    `ConnectorError`, nothing changed: unknown connector, or the code is not mapped.
    """
    connector = load_connector(conn, code).code
    external = check_external_code(external_code)
    current = _mapped(conn, connector, [external]).get(external)
    if current is None:
        raise ConnectorError(f"external code {external} is not mapped for connector "
                             f"{connector}")
    conn.execute(delete(corr).where(corr.c.id == current[0]))
    return current[2]


def mapping_rows(conn: Connection, code: str, *, exportable: bool = False,
                 filter: str | Mapping[str, Any] | None = None,  # noqa: A002 (the contract's word)
                 unmapped: bool = False) -> list[MappingRow]:
    """The articles (all, the exportable ones or those matching `filter`) in code order, with
    their external codes for connector `code`; `unmapped`: only those without any.

    `ConnectorError`: unknown connector, an invalid filter, or both `exportable` and `filter`.
    """
    connector = load_connector(conn, code).code
    if exportable and filter is not None:
        raise ConnectorError("choose the exportable articles or a filter, not both")
    condition = article_condition({"exportable": True} if exportable else None)
    if filter is not None:
        try:
            condition = article_condition(check_article_filter(conn, filter))
        except ValueError as exc:
            raise ConnectorError(f"invalid article filter: {exc}") from None
    join = and_(corr.c.article_id == articles.c.id, corr.c.connector == connector)
    if unmapped:
        condition = and_(condition, corr.c.id.is_(None))  # the outer join found none
    query = (select(articles.c.code, articles.c.name, corr.c.external_code)
             .select_from(articles.outerjoin(corr, join)).where(condition)
             .order_by(articles.c.code, corr.c.external_code))
    rows: list[MappingRow] = []
    current: tuple[str, str, list[str]] | None = None
    for article, name, external in conn.execute(query):
        if current is None or current[0] != article:
            if current is not None:
                rows.append(MappingRow(current[0], current[1], tuple(current[2])))
            current = (article, name, [])
        if external is not None:
            current[2].append(external)
    if current is not None:
        rows.append(MappingRow(current[0], current[1], tuple(current[2])))
    return rows


# ---------------------------------------------------------------- map_bulk

def map_bulk(engine: Engine, code: str, path: Path | str, *,
             replace: bool = False) -> ImportReport:
    """Load a filled `mappings` listing (`ARTICLE`*, `CODE_EXTERNE`, `DESIG` ignored).

    The report has the shape of `comptoir import`'s (`exit_code` 0 / 3 / 1). The accepted
    rows are written in one transaction; on exit 1 (unknown connector, a file that cannot
    be read as a whole, a refused write) nothing is.
    """
    path = Path(path)
    report = ImportReport(entity="article_correspondences",
                          mode="replace" if replace else "map", dry_run=False,
                          files=[path.name])
    log = RejectionLog(None)
    try:
        with engine.begin() as conn:
            _load(conn, code, path, replace, report, log)
    except ComptoirError as exc:
        report.fail(str(exc))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        report.fail(f"nothing was written: {reason[0] if reason else type(exc).__name__}")
    log.into(report)
    return report


def _load(conn: Connection, code: str, path: Path, replace: bool, report: ImportReport,
          log: RejectionLog) -> None:
    connector = load_connector(conn, code)
    raw = read_csv(path, sep=connector.get("separator"), known=COLUMNS_OUT,
                   mandatory=(ARTICLE, EXTERNAL_CODE))
    report.warnings.extend(raw.warnings)
    if raw.malformed:
        log.add(pd.DataFrame([(raw.name, bad.line, bad.key, "invalid_value", None,
                               bad.message, bad.record) for bad in raw.malformed],
                             columns=COLUMNS))
    frame = raw.frame.reset_index(drop=True)
    codes = _codes(frame)
    ids = _article_ids(conn, frame[ARTICLE].dropna())
    mapped = _mapped(conn, connector.code, codes["code"])
    codes["article_id"] = frame[ARTICLE].map(ids).reindex(codes["row"]).to_numpy()
    rejections = _rejections(frame, codes, ids, mapped, replace)
    rejected = set(rejections["row"])
    log.add(_described(raw.name, frame, rejections))
    report.records = len(frame) + len(raw.malformed)
    report.rejected = len(rejected) + len(raw.malformed)
    report.accepted = len(frame) - len(rejected)
    report.written = _write(conn, connector.code, codes[~codes["row"].isin(rejected)], mapped)


def _codes(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (file row, external code): `row`, `code`, `first_line` of the code."""
    listed = frame[EXTERNAL_CODE].map(split_codes, na_action="ignore").dropna()
    codes = listed.explode().dropna().rename("code").rename_axis("row").reset_index()
    codes["line"] = frame[LINE].reindex(codes["row"]).to_numpy()
    codes["too_long"] = codes["code"].str.len() > MAX_LENGTH
    valid = codes[~codes["too_long"]]
    codes["first_line"] = valid.groupby("code")["line"].transform("min")
    return codes


def _rejections(frame: pd.DataFrame, codes: pd.DataFrame, ids: Mapping[str, int],
                mapped: Mapping[str, tuple[int, int, str]], replace: bool) -> pd.DataFrame:
    """Rules broken: `row`, `rule`, `field`, `message` (one entry per row and rule)."""
    found: list[tuple[int, str, str, str]] = []
    article = frame[ARTICLE]
    for row in article.index[article.isna()]:
        found.append((row, "required", ARTICLE, f"{ARTICLE} is mandatory"))
    unknown = article.notna() & ~article.isin(list(ids))
    for row, value in article[unknown].items():
        found.append((row, "unknown_article", ARTICLE,
                      f"{ARTICLE} {value} is not an article of the dossier"))
    for row, group in codes[codes["too_long"]].groupby("row"):
        found.append((row, "invalid_value", EXTERNAL_CODE, "; ".join(
            f"{EXTERNAL_CODE} '{value}' is longer than {MAX_LENGTH} characters"
            for value in group["code"])))
    again = codes[codes["first_line"].notna() & (codes["line"] > codes["first_line"])]
    for row, group in again.groupby("row"):
        found.append((row, "duplicate_in_file", EXTERNAL_CODE, "; ".join(
            f"{EXTERNAL_CODE} {value} appears earlier in the file (line {int(first)})"
            for value, first in zip(group["code"], group["first_line"], strict=True))))
    if not replace:
        owner = codes["code"].map(lambda value: mapped[value][1] if value in mapped else None)
        taken = codes[owner.notna() & codes["article_id"].notna()
                      & (owner != codes["article_id"])]
        for row, group in taken.groupby("row"):
            found.append((row, "external_code_taken", EXTERNAL_CODE, "; ".join(
                f"{EXTERNAL_CODE} {value} is already mapped to article {mapped[value][2]} "
                "(--replace moves it)" for value in group["code"])))
    return pd.DataFrame(found, columns=["row", "rule", "field", "message"])


def _described(file: str, frame: pd.DataFrame, rejections: pd.DataFrame) -> pd.DataFrame:
    """The rejections as `RejectionLog` takes them, in line order."""
    rows = rejections["row"].to_numpy()
    described = pd.DataFrame({
        "file": file, "line": frame[LINE].reindex(rows).to_numpy(),
        "key": frame[ARTICLE].reindex(rows).to_numpy(), "rule": rejections["rule"],
        "field": rejections["field"], "message": rejections["message"],
        "record": quote_columns(frame, [c for c in frame.columns if c != LINE])
        .reindex(rows).to_numpy()})
    return described.sort_values("line", kind="stable")[COLUMNS]


def _write(conn: Connection, connector: str, accepted: pd.DataFrame,
           mapped: Mapping[str, tuple[int, int, str]]) -> dict[str, int]:
    """Insert the new codes, move the ones mapped to another article (set-based)."""
    current = accepted["code"].map(lambda value: mapped.get(value, (None, None))[1])
    new = accepted[current.isna()]
    moved = accepted[current.notna() & (current != accepted["article_id"])]
    created = loader.insert(conn, corr, pd.DataFrame({
        "connector": connector, "external_code": new["code"].to_numpy(),
        "article_id": new["article_id"].astype("int64").to_numpy()}))
    moves = loader.update(conn, corr, "id", pd.DataFrame({
        "id": [mapped[value][0] for value in moved["code"]],
        "article_id": moved["article_id"].astype("int64").to_numpy()}))
    return {"correspondences_created": created, "correspondences_moved": moves}
