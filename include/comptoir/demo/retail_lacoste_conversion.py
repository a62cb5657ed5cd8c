"""Demo data for `lacoste_conversion`: the Lacoste corner of MAG01 and its files of yesterday.

Three demo articles get LACOSTE correspondences (two on a reference, one on an EAN), and a
DT42/DT43 pair in Windows-1252 is dropped into the inbox of the task `lacoste-conversion`:
five tickets of store 0042, register 1 (MAG01 C1 by the task's maps), one with an article
the dossier does not know, one return, and one whose payments miss 5,00 (rejected).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

TASK = "lacoste-conversion"
CONNECTOR = "LACOSTE"
#: External code → the demo article it stands for (the n-th active article by code).
CORRESPONDENCES = (("L1212-001", 0), ("L1212-002", 1), ("3614030000042", 2))
HEADER_42 = ("MAGASIN;CAISSE;TICKET;DATE;HEURE;LIGNE;EAN;REFERENCE;LIBELLE;QTE;PU_TTC;REMISE;"
             "MONTANT_TTC;TVA;CLIENT")
HEADER_43 = "MAGASIN;CAISSE;TICKET;DATE;MODE;MONTANT"


def files(day: dt.date) -> tuple[list[str], list[str]]:
    """The DT42 and DT43 rows of the corner's day."""
    d = f"{day:%Y%m%d}"
    lines = [
        f"0042;1;501;{d};101500;1;3614030000011;L1212-001;Polo piqué blanc;2;95,00;;190,00;20;",
        f"0042;1;501;{d};101500;2;;L-CASQ-01;Casquette brodée;1;35,00;10;31,50;20;",
        f"0042;1;502;{d};113000;1;3614030000011;L1212-001;Polo piqué blanc;-1;95,00;;-95,00;20;",
        f"0042;1;503;{d};142000;1;3614030000042;L1299-777;Sac week-end;1;120,00;;120,00;20;",
        f"0042;1;504;{d};160500;1;;L1212-002;Polo piqué marine;1;95,00;;95,00;20;",
        f"0042;1;505;{d};173000;1;;L1212-002;Polo piqué marine;2;95,00;5;180,50;20;",
    ]
    payments = [
        f"0042;1;501;{d};CB;200,00", f"0042;1;501;{d};ESP;21,50",
        f"0042;1;502;{d};ESP;-95,00", f"0042;1;503;{d};CB;120,00",
        f"0042;1;504;{d};CB;90,00", f"0042;1;505;{d};CB;180,50",
    ]
    return lines, payments


def stage(engine: Engine) -> list[str]:
    """Map the articles and drop yesterday's pair; what was staged (nothing if undefined)."""
    from sqlalchemy import insert, select

    from comptoir.backoffice.schema import article_correspondences as corr
    from comptoir.backoffice.schema import articles
    from comptoir.demo.retail import inbox_of

    inbox = inbox_of(TASK)
    if inbox is None:
        return []
    with engine.begin() as conn:
        codes = conn.execute(select(articles.c.id, articles.c.code)
                             .where(articles.c.active.is_(True))
                             .order_by(articles.c.code).limit(3)).all()
        if len(codes) < 3:
            return []
        known = set(conn.execute(select(corr.c.external_code)
                                 .where(corr.c.connector == CONNECTOR)).scalars())
        new = [{"connector": CONNECTOR, "external_code": external,
                "article_id": codes[rank].id}
               for external, rank in CORRESPONDENCES if external not in known]
        if new:
            conn.execute(insert(corr), new)
    day = dt.date.today() - dt.timedelta(days=1)
    lines, payments = files(day)
    an_hour_ago = time.time() - 3600
    names = []
    for name, header, rows in ((f"DT42 Tickets {day:%Y%m%d} 2100 00001.txt", HEADER_42, lines),
                               (f"DT43 Reglements {day:%Y%m%d} 2100 00001.txt", HEADER_43,
                                payments)):
        names.append(name)
        if (inbox.incoming / name).exists():
            continue
        path = inbox.receive(name, ("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))
        os.utime(path, (an_hour_ago, an_hour_ago))
    mapped = ", ".join(f"{external} → {codes[rank].code}" for external, rank in CORRESPONDENCES)
    return [f"Lacoste corner: {CONNECTOR} correspondences {mapped}; {' and '.join(names)} "
            f"dropped into {inbox.incoming}"]
