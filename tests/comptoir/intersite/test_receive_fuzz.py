"""Random attachments: always a rejection with a reason, or orders, never a traceback."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.intersite.order_document import AttachmentRefused, read_order_document
from comptoir.intersite.order_intake import check_orders
from comptoir.intersite.sites import Site

from .central import attachment, order

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["id", "date", "lines", "article", "quantity",
                                       "unit_price", "line_no", "x"]), children, max_size=4),
    max_leaves=12)


def _mutated() -> st.SearchStrategy[bytes]:
    def mutate(base: dict, key: str, value: object) -> bytes:
        base = json.loads(json.dumps(base))
        target = base
        if key.startswith("o.") and base["orders"]:
            target = base["orders"][0]
            key = key[2:]
        if key.startswith("l.") and target.get("lines"):
            target = target["lines"][0]
            key = key[2:]
        target[key] = value
        return json.dumps(base).encode()

    base = json.loads(attachment(order()))
    keys = st.sampled_from(["format", "version", "site", "orders", "o.id", "o.date",
                            "o.lines", "o.l.article", "o.l.quantity", "o.l.unit_price",
                            "o.l.line_no"])
    return st.builds(lambda k, v: mutate(base, k, v), keys, _json)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200), _json.map(lambda v: json.dumps(v).encode()),
                 _mutated()))
def test_random_attachments_are_refused_with_a_reason_or_read(payload: bytes) -> None:
    try:
        document = read_order_document(payload)
    except AttachmentRefused as exc:
        assert exc.rule in ("malformed_attachment", "unsupported_version")
        assert exc.message and "\n" not in exc.message
        return
    assert isinstance(document.site, str) and isinstance(document.orders, list)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_mutated())
def test_random_orders_get_a_state_never_a_traceback(engine, payload: bytes) -> None:  # type: ignore[no-untyped-def]
    from .central import central

    if not hasattr(engine, "_central"):
        central(engine)
        engine._central = True
    try:
        document = read_order_document(payload)
    except AttachmentRefused:
        return
    site = Site(1, "DIST-CALVI", 1, None)
    with engine.connect() as conn:
        outcomes = check_orders(conn, site, document.orders, "order", {})
    for outcome in outcomes:
        assert outcome.state in ("created", "already_received", "rejected")
        assert outcome.state != "rejected" or (outcome.rule and outcome.message)
