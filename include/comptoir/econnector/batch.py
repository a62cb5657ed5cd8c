"""What the handler of one received file gets: the connector, the file, the run's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from comptoir.econnector.settings import Connector
from comptoir.econnector.sync_report import Item, SyncReport

__all__ = ["Batch", "Detail", "too_long"]


@dataclass
class Detail:
    """What `connector pending` lists besides the report (collected on demand)."""

    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    third_parties: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Batch:
    """One file of a reception."""

    connector: Connector
    file: str
    report: SyncReport
    regime_id: int | None
    purchases: bool
    """Whether the dossier's purchases module is on (suppliers may be received)."""
    detail: Detail | None = None
    items: list[Item] = field(default_factory=list)

    def add(self, item: Item) -> Item:
        """Record an item of this file (the report gets them once the file is done)."""
        self.items.append(item)
        return item


def too_long(frame: pd.DataFrame, limits: dict[str, int]) -> pd.DataFrame:
    """Per column of `limits` present in `frame`: whether each value is longer (booleans)."""
    return pd.DataFrame({column: frame[column].str.len().fillna(0).astype(int) > limit
                         for column, limit in limits.items() if column in frame.columns},
                        index=frame.index)
