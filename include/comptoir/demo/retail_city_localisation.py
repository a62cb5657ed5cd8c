"""Demo stage of `city_localisation`: customers and addresses keyed without their city.

The French customers with the lowest ids and a postcode lose their city, as if they came
from a till that only asked for the postcode; one more has a postcode that does not exist.
Idempotent: running it again blanks the same rows.
"""

from __future__ import annotations

from sqlalchemy import Engine, and_, func, or_, select, update

from comptoir.backoffice.schema import customer_addresses, customers

BLANKED = 40
UNKNOWN_CODE = "99999"


def stage(engine: Engine) -> list[str]:
    """Blank the cities the nightly `city-localisation` fills again."""
    french = and_(customers.c.postcode.is_not(None),
                  or_(customers.c.country.is_(None), customers.c.country == "FR"),
                  func.length(customers.c.postcode) == 5)
    with engine.begin() as conn:
        ids = list(conn.execute(select(customers.c.id).where(french)
                                .order_by(customers.c.id).limit(BLANKED + 1)).scalars())
        if not ids:
            return ["city_localisation: no French customer in the dossier, nothing staged"]
        conn.execute(update(customers).where(customers.c.id.in_(ids[:-1])).values(city=None))
        conn.execute(update(customers).where(customers.c.id == ids[-1])
                     .values(postcode=UNKNOWN_CODE, city=None))
        addresses = conn.execute(
            update(customer_addresses)
            .where(customer_addresses.c.customer_id.in_(ids[:-1]),
                   customer_addresses.c.postcode.is_not(None))
            .values(city=None)).rowcount
    return [f"city_localisation: {len(ids) - 1} customers and {addresses} addresses without "
            f"their city, 1 customer with the unknown postcode {UNKNOWN_CODE}"]
