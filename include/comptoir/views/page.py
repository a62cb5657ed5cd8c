"""A page of a listing and its cursor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["DEFAULT_SIZE", "MAX_SIZE", "Page", "page_size"]

T = TypeVar("T")

DEFAULT_SIZE = 50
MAX_SIZE = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """The items of one page; `next` is the cursor of the following one (None: last page)."""

    items: list[T]
    next: str | None


def page_size(size: int | None) -> int:
    """`size` kept between 1 and `MAX_SIZE` (None: `DEFAULT_SIZE`)."""
    return DEFAULT_SIZE if size is None else max(1, min(int(size), MAX_SIZE))
