"""Import files for the demo's nightly imports: what a day of the demo business drops in,
and what a customer mails in.

New customers from the web shop's sign-ups (two of them wrong: an IBAN whose check digits
are wrong, a code given twice), the new season's articles (one with a VAT code the
dossier does not know) and their initial stock (one quantity missing, and the stock of the
rejected article). Codes start at 900001: they never meet the demo dossier's
(`CLI000001`..., `ART000001`...), so the files import the same way after every refill.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from comptoir.exchange.inbox import Inbox

__all__ = ["DEMO_IMPORTS_TASK", "DEMO_MAIL_TASK", "FILES", "MAILED_FILES", "mail_for_task",
           "stage", "stage_for_task"]

#: The demo's import task (tasks/nightly-imports.json).
DEMO_IMPORTS_TASK = "nightly-imports"
#: The demo's import task fed by e-mail (tasks/mailed-imports.json).
DEMO_MAIL_TASK = "mailed-imports"

_ROWS: dict[str, list[tuple[str, ...]]] = {
    "customers_web-signups.csv": [
        ("CODE", "DESIG", "REGIME_CODE", "FAMILLE", "ADRESSE1", "ADRESSE2", "CP", "VILLE",
         "PAYS", "EMAIL", "TEL", "IBAN", "BIC", "COMPTE"),
        ("CLI900001", "BERNARD Lucie", "FR", "PARTICULIER", "12 rue des Lilas", "", "69003",
         "Lyon", "FR", "lucie.bernard@example.fr", "0472000001", "", "", ""),
        ("CLI900002", "Boulangerie du Parc", "FR", "PROFESSIONNEL", "4 place du Marché", "",
         "69100", "Villeurbanne", "FR", "contact@boulangerie-parc.example", "0478000002",
         "FR7630006000011234567890189", "AGRIFRPP", "411BOUL"),
        # the IBAN's check digits are wrong (bank_details)
        ("CLI900003", "GARNIER Hugo", "", "PARTICULIER", "8 chemin des Vignes", "Bât. B",
         "38200", "Vienne", "FR", "hugo.garnier@example.fr", "0474000003",
         "FR7630006000011234567890188", "AGRIFRPP", ""),
        ("CLI900004", "Épicerie Fine Morel", "UE", "PROFESSIONNEL", "21 rue de la Gare", "",
         "1000", "Bruxelles", "BE", "commandes@morel.example", "3225000004", "", "", ""),
        # signed up twice (duplicate_in_file)
        ("CLI900001", "BERNARD Lucie", "FR", "PARTICULIER", "12 rue des Lilas", "", "69003",
         "Lyon", "FR", "lucie.bernard@example.fr", "0472000001", "", "", ""),
        ("CLI900005", "ROUSSEAU Camille", "FR", "PARTICULIER", "3 allée des Tilleuls", "",
         "69007", "Lyon", "FR", "camille.rousseau@example.fr", "0472000005", "", "", ""),
    ],
    "articles_new-season.csv": [
        ("CODE", "DESIG", "TVA_CODE", "FOURNISSEUR_CODE", "PRIX_ACHAT", "PRIX_VENTE",
         "FAMILLE", "MARQUE", "UNITE", "GERE_LOTS", "ASSEMBLE", "DISPONIBLE_EXPORT"),
        ("ART900001", "Huile d'olive vierge extra Terre de Provence 75 cl", "T3", "FOU0002",
         "6,20", "11,90", "EPI", "TPRO", "U", "N", "N", "O"),
        ("ART900002", "Tapenade noire Terre de Provence 180 g", "T3", "FOU0002", "2,10",
         "4,50", "EPI", "TPRO", "U", "N", "N", "O"),
        ("ART900003", "Herbes de Provence Les Champs d'Or 40 g", "T3", "FOU0002", "1,15",
         "2,95", "EPI", "CHOR", "U", "N", "N", "O"),
        ("ART900004", "Coffret apéritif provençal", "T1", "FOU0002", "9,80", "24,90", "EPI",
         "TPRO", "U", "N", "N", "N"),
        # a VAT code the dossier does not know (unknown_vat)
        ("ART900005", "Savon de Marseille Terre de Provence 300 g", "T9", "FOU0002", "1,60",
         "3,90", "HYG", "TPRO", "U", "N", "N", "O"),
    ],
    "stocks_new-season.csv": [
        ("ART_CODE", "DEPOT_CODE", "QINITIALE", "VINITIALE"),
        ("ART900001", "CENTRAL", "120", "744,00"),
        ("ART900002", "CENTRAL", "200", "420,00"),
        ("ART900003", "CENTRAL", "150", "172,50"),
        ("ART900004", "CENTRAL", "", "0"),  # no quantity (initial_qty)
        ("ART900001", "MAG01", "24", "148,80"),
        ("ART900002", "MAG01", "36", "75,60"),
        ("ART900005", "CENTRAL", "80", "128,00"),  # its article was rejected (unknown_article)
    ],
}

_MAILED_ROWS: dict[str, list[tuple[str, ...]]] = {
    "customers_mail-order.csv": [
        ("CODE", "DESIG", "REGIME_CODE", "FAMILLE", "ADRESSE1", "ADRESSE2", "CP", "VILLE",
         "PAYS", "EMAIL", "TEL", "IBAN", "BIC", "COMPTE"),
        ("CLI900101", "Traiteur des Halles", "FR", "PROFESSIONNEL", "2 quai Saint-Antoine", "",
         "69002", "Lyon", "FR", "commandes@traiteur-halles.example", "0478000101", "", "", ""),
        ("CLI900102", "FAURE Inès", "FR", "PARTICULIER", "15 rue Mercière", "", "69002",
         "Lyon", "FR", "ines.faure@example.fr", "0472000102", "", "", ""),
    ],
}


def _csv(rows: list[tuple[str, ...]]) -> str:
    return "".join(";".join(row) + "\n" for row in rows)


#: The files, by name: `;`-separated UTF-8 text with a header row.
FILES: dict[str, str] = {name: _csv(rows) for name, rows in _ROWS.items()}
#: The files a customer of the demo sends by e-mail (attachments).
MAILED_FILES: dict[str, str] = {name: _csv(rows) for name, rows in _MAILED_ROWS.items()}


def stage(inbox: Inbox, *, age_seconds: float = 3600.0) -> list[Path]:
    """Drop the demo files into `inbox`, dated `age_seconds` ago (as if dropped in the evening).

    The date keeps them from looking still being copied (the local source's `min_age_seconds`).
    """
    staged = []
    moment = time.time() - age_seconds
    for name, text in FILES.items():
        path = inbox.receive(name, text.encode("utf-8"))
        os.utime(path, (moment, moment))
        staged.append(path)
    return staged


def stage_for_task(task_id: str = DEMO_IMPORTS_TASK) -> tuple[Inbox, list[Path]] | None:
    """Stage the demo files into the inbox of import task `task_id`; None if it is not defined."""
    from comptoir.automation.definitions import InvalidDefinition, UnknownTask, find
    from comptoir.automation.task_inbox import task_inbox
    from comptoir.automation.types.imports import Options

    try:
        definition = find(task_id)
    except (UnknownTask, InvalidDefinition):
        return None
    options = definition.typed_options()
    if not isinstance(options, Options):
        return None
    inbox = task_inbox(definition.id, options).inbox
    return inbox, stage(inbox)


def mail_for_task(task_id: str = DEMO_MAIL_TASK) -> tuple[Path, list[str]] | None:
    """Mail the demo's attachments into the `.eml` folder import task `task_id` reads.

    The message is written as the embedded setup's file mailer writes every message; the
    task's `fetch` step takes its attachments. None if the task is not defined or does
    not read a mail folder.
    """
    from comptoir.automation.definitions import InvalidDefinition, UnknownTask, find
    from comptoir.automation.types.imports import Options
    from comptoir.exchange.endpoints import MailFolderInboxSource
    from comptoir.exchange.mail import FileMailer, build_message

    try:
        definition = find(task_id)
    except (UnknownTask, InvalidDefinition):
        return None
    options = definition.typed_options()
    if not isinstance(options, Options) or not isinstance(options.source, MailFolderInboxSource):
        return None
    folder = options.source.folder()
    with tempfile.TemporaryDirectory() as work:
        attachments = []
        for name, text in MAILED_FILES.items():
            (Path(work) / name).write_text(text, encoding="utf-8")
            attachments.append(Path(work) / name)
        FileMailer(folder).send(build_message(
            to=["commandes@comptoir.example"],
            sender="Traiteur des Halles <compta@traiteur-halles.example>",
            subject="Nouveaux comptes clients", attachments=attachments,
            body="Bonjour,\nci-joint les comptes à créer.\nCordialement\n"))
    return folder, list(MAILED_FILES)
