"""Which payment of a ticket settles what (`spec/pos.md`, "Allocation").

A ticket's non-credit payments, in line order, settle its account operations in line
order, then its sales part; credit payments settle only the sales part. Amounts are
cents. Whatever is left once every operation is settled (refunds, negative sales parts)
belongs to the sales part.
"""

from __future__ import annotations

from collections.abc import Sequence


def allocate(obligations: Sequence[int], non_credit: Sequence[tuple[int, int]],
             credit: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """For each obligation (the account operations in line order, then the sales part
    last), the (mode id, cents) parts that settle it."""
    parts: list[list[tuple[int, int]]] = [[] for _ in obligations]
    if not obligations:
        return parts
    queue = [[mode, cents] for mode, cents in (*non_credit, *credit)]
    credits_from = len(non_credit)
    position = 0
    for index, need in enumerate(obligations[:-1]):  # account operations
        while need > 0 and position < credits_from:
            mode, cents = queue[position]
            if cents <= 0:
                position += 1
                continue
            taken = min(need, cents)
            parts[index].append((mode, taken))
            need -= taken
            queue[position][1] -= taken
            if queue[position][1] == 0:
                position += 1
    sales: dict[int, int] = {}
    for mode, cents in queue:
        if cents:
            sales[mode] = sales.get(mode, 0) + cents
    parts[-1] = list(sales.items())
    return parts
