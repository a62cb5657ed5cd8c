"""Which payment of a ticket settles what (`spec/pos.md`, "Allocation").

A ticket's non-credit payments, in line order, settle its account operations in line
order, then its sales part; credit payments settle only the sales part. Amounts are
cents. Where the contract is silent: goods returned on a ticket that also pays an invoice
or takes a deposit (a negative sales part) settle its account operations first, as a
source without payment mode (`RETURNED`) — the customer paid with the goods brought back.
Whatever is left once every operation is settled belongs to the sales part.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The "mode" of the part of an account operation settled by goods returned.
RETURNED = None


def allocate(obligations: Sequence[int], non_credit: Sequence[tuple[int, int]],
             credit: Sequence[tuple[int, int]]) -> list[list[tuple[int | None, int]]]:
    """For each obligation (the account operations in line order, then the sales part
    last), the (mode id, cents) parts that settle it; mode `RETURNED` for the part of an
    account operation settled by goods returned — and, on the sales part, the same amount
    negative: the parts of every obligation add up to it."""
    parts: list[list[tuple[int | None, int]]] = [[] for _ in obligations]
    if not obligations:
        return parts
    sales = obligations[-1]
    sources: list[list] = [[mode, cents] for mode, cents in non_credit]
    if sales < 0:
        sources.insert(0, [RETURNED, -sales])
    for index, need in enumerate(obligations[:-1]):  # account operations
        for source in sources:
            if need <= 0:
                break
            if source[1] <= 0:
                continue
            taken = min(need, source[1])
            parts[index].append((source[0], taken))
            need -= taken
            source[1] -= taken
    left: dict[int | None, int] = {}
    if sales < 0 and sources[0][1] < -sales:  # the goods that settled operations
        left[RETURNED] = sources[0][1] + sales
    for mode, cents in [*(tuple(s) for s in sources), *credit]:
        if mode is not RETURNED and cents:
            left[mode] = left.get(mode, 0) + cents
    parts[-1] = list(left.items())
    return parts
