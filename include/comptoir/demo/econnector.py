"""The demo's partner connector: `FACILI`, and what the partner dropped in its import folder.

The partner is a scheduling application (the seed's Facilitime) where the chain's
professional customers' orders are planned: it drops new customers with their contacts,
and documents whose lines name its own article codes (`FT-0001`...). The connector creates
orders in the central depot; most partner codes are mapped to demo articles, one
(`NOTAIRE`) is not, so one document waits for its correspondence; one document names an
unknown customer without a name, so it is in error. The files are Windows-1252, as the
partner writes them. The connector sends the exportable articles and the customers of the
Lyon store with their contacts. Staging it again (a demo refill) starts its folders afresh.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from comptoir.backoffice.schema import articles, customers, depots
from comptoir.econnector.correspondences import map_article
from comptoir.econnector.files import connector_inbox
from comptoir.econnector.settings import (
    Connector,
    connector_codes,
    create_connector,
    delete_connector,
    set_value,
)

__all__ = ["DEMO_CONNECTOR", "StagedConnector", "stage_connector"]

DEMO_CONNECTOR = "FACILI"
#: Partner code → the rank of the demo article it is mapped to (NOTAIRE stays unmapped).
_MAPPED = {"FT-0001": 1, "FT-0002": 2, "FT-0003": 3, "FT-0004": 4}


@dataclass(frozen=True)
class StagedConnector:
    """What the demo set up: the connector and the files waiting for it."""

    connector: Connector
    files: list[Path]
    mapped: int


def _files(known: list[tuple[str, str]], labels: dict[str, str]) -> dict[str, str]:
    """The partner's files (text), on two demo customers `known` (code, name) and the
    partner's labels of its codes."""
    (first, first_name), (second, _) = known[0], known[1]
    one, two, three, four = (labels[code] for code in _MAPPED)
    return {
        "ImportClients_20261026.csv": "\r\n".join([
            "CODE;NOM;ADRESSE1;CP;VILLE;PAYS;EMAIL;TEL",
            "FAC000101;LEFÈVRE Amélie;5 impasse des Acacias;69005;Lyon;FR;"
            "amelie.lefevre@example.fr;0478000101",
            "FAC000102;Crèche Les Pitchouns;18 rue Vendôme;69006;Lyon;FR;"
            "direction@pitchouns.example;0478000102",
            f"{first};{first_name};;;;;nouvelle.adresse@example.fr;",
            ";Sans code;;;;;;",
        ]) + "\r\n",
        "ImportContacts_20261026.csv": "\r\n".join([
            "TIERS_TYPE;TIERS_CODE;NOM;FONCTION;EMAIL;TEL",
            "C;FAC000102;Mme Océane Roux;Directrice;oceane.roux@pitchouns.example;0478000103",
            f"C;{second};M. Paul Girard;Comptable;paul.girard@example.fr;",
            "C;FAC999999;Inconnu;;;",
        ]) + "\r\n",
        "ImportDocuments_20261026.csv": "\r\n".join([
            "DOC_ID;DOC_DATE;CLIENT_CODE;CLIENT_NOM;REFERENCE;REGLEMENT;TOTAL_TTC;LIGNE_NO;"
            "ART_EXT;ART_DESIG;QTE;PU_HT;REMISE",
            f"F259030_D260118;24/10/2026;FAC000101;;RDV 118;Chèques;;1;FT-0001;{one};6;"
            "15,33;",
            f"F259030_D260118;24/10/2026;FAC000101;;RDV 118;Chèques;;2;FT-0002;{two};2;"
            "4,08;",
            f"F259031_D260119;24/10/2026;FAC000102;;RDV 119;Virement;;1;FT-0003;{three};"
            "12;;10",
            f"F259032_D260120;25/10/2026;{first};;RDV 120;CB;;1;FT-0004;{four};3;12,50;",
            "F259033_D260121;25/10/2026;FAC000150;Cabinet Martin;RDV 121;Chèques;;1;"
            f"FT-0001;{one};12;15,33;",
            "F259033_D260121;25/10/2026;FAC000150;Cabinet Martin;RDV 121;Chèques;;2;NOTAIRE;"
            "Frais de notaire;1;120,00;",
            f"F259034_D260122;25/10/2026;FAC000199;;RDV 122;CB;;1;FT-0002;{two};1;4,08;",
        ]) + "\r\n",
    }


def stage_connector(engine: Engine, *, age_seconds: float = 3600.0) -> StagedConnector:
    """(Re)create the demo connector, map the partner's codes, drop the partner's files."""
    with engine.begin() as conn:
        if DEMO_CONNECTOR in connector_codes(conn):
            delete_connector(conn, DEMO_CONNECTOR)
        central = conn.execute(select(depots.c.code).where(depots.c.is_store.is_(False))
                               .order_by(depots.c.code)).scalars().first()
        lyon = conn.execute(select(depots.c.code).where(depots.c.is_store.is_(True),
                                                        depots.c.city == "Lyon")
                            .order_by(depots.c.code)).scalars().first()
        connector = create_connector(conn, DEMO_CONNECTOR, {
            "link": "facilitime", "document_type": "orders", "depot": central,
            "customer_family": "FACILITIME", "supplier_family": "FACILITIME"})
        set_value(conn, DEMO_CONNECTOR, "send_articles", "exportable")
        if lyon is not None:
            set_value(conn, DEMO_CONNECTOR, "customer_filter", f'{{"store": ["{lyon}"]}}')
            set_value(conn, DEMO_CONNECTOR, "send_customers", "filter")
        connector = set_value(conn, DEMO_CONNECTOR, "send_contacts", "on")
        ranks = conn.execute(select(articles.c.code, articles.c.name)
                             .where(articles.c.active.is_(True)).order_by(articles.c.code)
                             .limit(max(_MAPPED.values()))).all()
        labels = {}
        for external, rank in _MAPPED.items():
            article, name = ranks[rank - 1]
            labels[external] = name[:60].replace(";", ",")
            map_article(conn, DEMO_CONNECTOR, article, external, label=labels[external])
        known = [(code, name) for code, name in conn.execute(
            select(customers.c.code, customers.c.name).order_by(customers.c.code).limit(2))]
    for folder in (connector.import_folder, connector.export_folder):
        shutil.rmtree(folder, ignore_errors=True)  # the dossier was refilled: start afresh
    inbox = connector_inbox(connector)
    moment = time.time() - age_seconds
    staged = []
    for name, text in _files(known, labels).items():
        path = inbox.receive(name, text.encode("cp1252"))
        os.utime(path, (moment, moment))
        staged.append(path)
    return StagedConnector(connector, staged, len(_MAPPED))
