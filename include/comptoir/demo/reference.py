"""Fixed reference data of the demo business: settings, chart of accounts, journals,
payment modes, revision indexes, and the reference date the activity is dated from."""

from __future__ import annotations

from datetime import date, timedelta

COMPANY_NAME = "Les Comptoirs Réunis"
DEFAULT_SEED = 42
#: Volumes of the demo dossier at scale 1.
ARTICLES_PER_SCALE = 3000
CUSTOMERS_PER_SCALE = 2000

#: The date the demo's activity ends (excluded): a Monday, derived from the seed only.
_FIRST_MONDAY = date(2026, 1, 5)


def reference_date(seed: int) -> date:
    """The demo's "today": a Monday of 2026, a function of the seed (42 -> 2026-10-26)."""
    return _FIRST_MONDAY + timedelta(weeks=seed % 52)


SETTINGS = {
    "company_name": COMPANY_NAME,
    "timezone": "Europe/Paris",
    "default_regime": "FR",
    "purchases_module": "on",
    "default_supplier": "FOU0001",
    "company_siren": "424242428",
    "pos_counter_customer": "COMPTOIR",
}

#: Revision indexes for subscription contracts: (code, name, value).
REVISION_INDEXES = (
    ("SYNTEC", "Indice Syntec (ingénierie, services numériques)", "318.2000"),
    ("ICC", "Indice du coût de la construction", "2143.0000"),
    ("ILC", "Indice des loyers commerciaux", "136.6500"),
    ("IRL", "Indice de référence des loyers", "145.7700"),
)

#: Chart of accounts, a subset of the French PCG: (number, name, kind, lettrable).
ACCOUNTS = (
    ("101300", "Capital souscrit - appelé, versé", "general", False),
    ("370000", "Stocks de marchandises", "general", False),
    ("401000", "Fournisseurs", "supplier", True),
    ("411000", "Clients", "customer", True),
    ("419100", "Clients - avances et acomptes reçus sur commandes", "customer", True),
    ("419700", "Clients - autres avoirs", "customer", True),
    ("445660", "TVA déductible sur autres biens et services", "tax", False),
    ("445711", "TVA collectée 20 %", "tax", False),
    ("445712", "TVA collectée 10 %", "tax", False),
    ("445713", "TVA collectée 5,5 %", "tax", False),
    ("445714", "TVA collectée 2,1 %", "tax", False),
    ("467000", "Autres comptes débiteurs ou créditeurs", "general", True),
    ("511200", "Cartes bancaires à l'encaissement", "bank", True),
    ("511300", "Chèques à l'encaissement", "bank", True),
    ("512000", "Banque", "bank", False),
    ("530000", "Caisse", "cash", False),
    ("580000", "Virements internes", "general", True),
    ("603700", "Variation des stocks de marchandises", "expense", False),
    ("607000", "Achats de marchandises", "expense", False),
    ("627000", "Services bancaires et assimilés", "expense", False),
    ("658000", "Charges diverses de gestion courante", "expense", False),
    ("701000", "Ventes de produits finis", "revenue", False),
    ("706000", "Prestations de services", "revenue", False),
    ("707000", "Ventes de marchandises exonérées", "revenue", False),
    ("707100", "Ventes de marchandises TVA 20 %", "revenue", False),
    ("707200", "Ventes de marchandises TVA 10 %", "revenue", False),
    ("707300", "Ventes de marchandises TVA 5,5 %", "revenue", False),
    ("707400", "Ventes de marchandises TVA 2,1 %", "revenue", False),
    ("708500", "Ports et frais accessoires facturés", "revenue", False),
    ("709000", "Rabais, remises et ristournes accordés", "revenue", False),
    ("758000", "Produits divers de gestion courante", "revenue", False),
)

#: Journals: (code, name, kind).
JOURNALS = (
    ("VE", "Ventes", "sales"),
    ("AC", "Achats", "purchases"),
    ("BQ", "Banque", "bank"),
    ("CA", "Caisse", "cash"),
    ("OD", "Opérations diverses", "misc"),
)

#: Payment modes: code, name, account, state code (as the POS seed names them),
#: is_credit, is_deposit, lettrable, generates_delivery_note. Credit modes have no
#: account: what they leave to pay stays on the customer's receivable account.
PAYMENT_MODES = (
    ("ESP", "Espèces", "530000", "EPV", False, False, False, False),
    ("CB", "Carte bancaire", "511200", "BPV", False, False, True, False),
    ("CHQ", "Chèque", "511300", "CPV", False, False, True, False),
    ("VIR", "Virement", "512000", "VPV", False, False, True, False),
    ("CRED", "Crédit (paiement différé)", None, "C10", True, False, True, False),
    ("BLC", "En compte (bon de livraison)", None, None, True, False, True, True),
    ("ACP", "Bon d'acompte", "419100", "APV", False, True, True, False),
    ("AVO", "Bon d'avoir", "419700", "RPV", False, False, True, False),
)

#: Sales document types and the prefix of their numbers.
DOCUMENT_PREFIX = {"D": "DE", "C": "CC", "B": "BL", "F": "FA", "A": "AV", "O": "AB"}
