"""Realistic mistakes injected into generated import files, and the rule each one breaks.

A record gets at most one mistake. Which records get one is the first draw of a random
stream of their own (`error_mask`), so other files can steer clear of records that will
be rejected: a stock line never points at an article its file spoils.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from comptoir.demo.text import cat, num

#: The stream of mistakes of a block of records: (seed, entity, block, this tag).
ERROR_STREAM = 1


@dataclass
class Block:
    """A block of records of one file: its text columns and facts about each record."""

    columns: dict[str, np.ndarray]
    key: str
    first: int                     # 0-based index of the block's first record in the file
    info: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns[self.key])


Eligible = Callable[[Block], np.ndarray]
Apply = Callable[[Block, np.ndarray, np.random.Generator], None]


@dataclass(frozen=True)
class Mistake:
    """A kind of mistake: the contract's rule it breaks, which records it fits, how to make it."""

    rule: str
    apply: Apply
    eligible: Eligible | None = None


def error_stream(seed: int, entity: int, block: int) -> np.random.Generator:
    return np.random.default_rng([seed, entity, block, ERROR_STREAM])


def error_mask(rng: np.random.Generator, n: int, rate: float, first: int) -> np.ndarray:
    """Records that get a mistake (never the very first record of a file)."""
    mask = rng.random(n) < rate if rate > 0 else np.zeros(n, dtype=bool)
    if first == 0 and n:
        mask[0] = False
    return mask


def inject(block: Block, mistakes: list[Mistake], rate: float,
           rng: np.random.Generator) -> list[tuple[np.ndarray, str]]:
    """Spoil about `rate` of the block's records; returns (records, rule) pairs."""
    n = len(block)
    mask = error_mask(rng, n, rate, block.first)
    block.info["error_mask"] = mask
    clean = np.where(~mask, np.arange(n), -1)
    block.info["prev_clean"] = np.maximum.accumulate(clean) if n else clean
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    fits = np.stack([m.eligible(block)[rows] if m.eligible else np.ones(len(rows), bool)
                     for m in mistakes], axis=1)
    counts = fits.sum(axis=1)
    keep = counts > 0
    rows, fits, counts = rows[keep], fits[keep], counts[keep]
    target = (rng.random(len(rows)) * counts).astype(np.int64) + 1
    kind = np.argmax(np.cumsum(fits, axis=1) >= target[:, None], axis=1)
    found = []
    for k, mistake in enumerate(mistakes):
        chosen = rows[kind == k]
        if len(chosen):
            mistake.apply(block, chosen, rng)
            found.append((chosen, mistake.rule))
    return found


# --- Mistakes every coded entity can get ---------------------------------------------------


def set_value(column: str, value: str) -> Apply:
    """Put `value` in `column`."""
    def apply(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
        block.columns[column][rows] = value
    return apply


def duplicate(column: str) -> Apply:
    """Copy the value of `column` from the nearest earlier clean record."""
    def apply(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
        block.columns[column][rows] = block.columns[column][block.info["prev_clean"][rows]]
    return apply


def has_earlier_clean(block: Block) -> np.ndarray:
    return block.info["prev_clean"] >= 0


def required(column: str) -> Mistake:
    return Mistake("required", set_value(column, ""))


def duplicate_code(column: str = "CODE") -> Mistake:
    return Mistake("duplicate_in_file", duplicate(column), has_earlier_clean)


# --- Bank details -----------------------------------------------------------------------------


def _wrong_check_digits(block: Block, rows: np.ndarray, rng: np.random.Generator) -> None:
    iban = block.columns["IBAN"][rows]
    good = np.strings.slice(iban, 2, 4).astype(np.int64)
    bad = (good - 2 + rng.integers(1, 97, len(rows))) % 97 + 2  # another value in 02..98
    block.columns["IBAN"][rows] = cat(np.strings.slice(iban, 0, 2), num(bad, 2),
                                      np.strings.slice(iban, 4, None))


def _wrong_rib_key(block: Block, rows: np.ndarray, rng: np.random.Generator) -> None:
    good = block.columns["RIB_CLE"][rows].astype(np.int64)
    bad = (good - 1 + rng.integers(1, 97, len(rows))) % 97 + 1  # another value in 01..97
    block.columns["RIB_CLE"][rows] = num(bad, 2)


def _missing_account(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
    block.columns["RIB_COMPTE"][rows] = ""


def has_bank_details(block: Block) -> np.ndarray:
    return np.strings.str_len(block.columns["IBAN"]) > 0


BANK_MISTAKES = [
    Mistake("bank_details", _wrong_check_digits, has_bank_details),
    Mistake("bank_details", _wrong_rib_key, has_bank_details),
    Mistake("bank_details", _missing_account, has_bank_details),
]


# --- Amounts, numbers and dates ----------------------------------------------------------------


def negative(column: str) -> Apply:
    """Turn the amount in `column` negative."""
    def apply(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
        block.columns[column][rows] = cat("-", block.columns[column][rows])
    return apply


def letter_o(column: str) -> Apply:
    """A typing slip: the digit 0 typed as the letter O (an unreadable number)."""
    def apply(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
        block.columns[column][rows] = cat(block.columns[column][rows], "O")
    return apply


def impossible_date(column: str) -> Apply:
    """A date that does not exist (30 February)."""
    def apply(block: Block, rows: np.ndarray, _rng: np.random.Generator) -> None:
        year = np.strings.slice(block.columns[column][rows], 6, 10)
        block.columns[column][rows] = cat("30/02/", year)
    return apply


def when(column: str, value: str) -> Eligible:
    """Records whose `column` holds `value`."""
    def eligible(block: Block) -> np.ndarray:
        return block.columns[column] == value
    return eligible


def flag(name: str, expected: bool = True) -> Eligible:
    """Records whose fact `name` is `expected`."""
    def eligible(block: Block) -> np.ndarray:
        return block.info[name] == expected
    return eligible

