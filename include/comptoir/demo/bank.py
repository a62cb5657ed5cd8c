"""A pool of valid French bank details (IBAN, BIC and RIB), computed once per run.

schwifty computes the RIB key and the IBAN check digits; it is called once per pool
entry, never once per customer: large volumes sample their bank details from the pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from schwifty import IBAN

from comptoir.demo.text import STR

#: French banks: (bank code, BIC, share of the customers).
BANKS: tuple[tuple[str, str, float], ...] = (
    ("30004", "BNPAFRPP", 0.13),   # BNP Paribas
    ("30003", "SOGEFRPP", 0.11),   # Société Générale
    ("30002", "CRLYFRPP", 0.08),   # LCL
    ("20041", "PSSTFRPP", 0.09),   # La Banque Postale
    ("10278", "CMCIFR2A", 0.08),   # Crédit Mutuel
    ("30066", "CMCIFRPP", 0.06),   # CIC
    ("10107", "BREDFRPP", 0.04),   # BRED
    ("18206", "AGRIFRPP882", 0.06),  # Crédit Agricole Paris Île-de-France
    ("13106", "AGRIFRPP831", 0.04),  # Crédit Agricole Toulouse 31
    ("12506", "AGRIFRPP825", 0.03),  # Crédit Agricole Franche-Comté
    ("17515", "CEPAFRPP751", 0.06),  # Caisse d'Épargne Île-de-France
    ("13335", "CEPAFRPP333", 0.04),  # Caisse d'Épargne Aquitaine Poitou-Charentes
    ("14505", "CEPAFRPP450", 0.03),  # Caisse d'Épargne Loire-Centre
    ("13507", "CCBPFRPPLIL", 0.03),  # Banque Populaire du Nord
    ("16807", "CCBPFRPPGRE", 0.03),  # Banque Populaire Auvergne Rhône Alpes
    ("10907", "CCBPFRPPBDX", 0.03),  # Banque Populaire Aquitaine Centre Atlantique
    ("15589", "CMBRFR2B", 0.03),     # Crédit Mutuel Arkéa
    ("30076", "NORDFRPP", 0.02),     # Crédit du Nord
    ("42559", "CCOPFRPP", 0.01),     # Crédit Coopératif
)


@dataclass(frozen=True)
class BankPool:
    """Parallel arrays of valid bank details: entry `i` of every array belongs together."""

    iban: np.ndarray
    bic: np.ndarray
    bank: np.ndarray
    branch: np.ndarray
    account: np.ndarray
    key: np.ndarray

    def __len__(self) -> int:
        return len(self.iban)


def bank_pool(rng: np.random.Generator, size: int = 5000) -> BankPool:
    """`size` valid French bank details: IBAN FR76…, its BIC and the matching RIB fields."""
    shares = np.array([b[2] for b in BANKS])
    banks = rng.choice(len(BANKS), size=size, p=shares / shares.sum())
    branches = rng.integers(0, 100_000, size=size)
    accounts = rng.integers(0, 100_000_000_000, size=size)
    rows = []
    for b, br, acc in zip(banks.tolist(), branches.tolist(), accounts.tolist(), strict=True):
        bank_code, bic, _ = BANKS[b]
        iban = IBAN.generate("FR", bank_code=bank_code, branch_code=f"{br:05d}",
                             account_code=f"{acc:011d}")
        bban = iban.bban
        rows.append((iban.compact, bic, bban[:5], bban[5:10], bban[10:21], bban[21:23]))
    columns = [np.array(col, dtype=STR) for col in zip(*rows, strict=True)]
    return BankPool(*columns)

