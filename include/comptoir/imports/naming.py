"""Entity names, their import order, and which entity a file name is for.

File names: `<entity>[_anything].csv` (or `.xml` for sales documents), e.g.
`customers.csv`, `articles_2026-11.csv`, `sales_documents_web.xml`. The lines of a
headers file `sales_documents[_headers][_X].csv` are in `sales_documents_lines[_X].csv`.
Light module: no pandas, no Great Expectations (DAG files may import it).
"""

from __future__ import annotations

from pathlib import Path, PurePath

from comptoir.imports.errors import ImportUsageError

#: The order files must be imported in: each entity refers only to earlier ones.
ENTITY_ORDER: tuple[str, ...] = (
    "regimes", "vat", "revision_indexes", "depots", "suppliers", "customers",
    "customer_addresses", "articles", "stocks", "bom", "sales_documents",
)
MODES: tuple[str, ...] = ("create", "modify")
LINES_PREFIX = "sales_documents_lines"


def entity_for_file(name: str) -> str | None:
    """The entity a file is for, from its name (None for a lines file or an unknown name)."""
    stem = PurePath(name).name.lower()
    base, _, ext = stem.rpartition(".")
    if ext not in ("csv", "txt", "xml") or base.startswith(LINES_PREFIX):
        return None
    if ext == "xml" and not base.startswith("sales_documents"):
        return None
    for entity in sorted(ENTITY_ORDER, key=len, reverse=True):
        if base == entity or base.startswith(entity + "_"):
            return entity
    return None


def lines_file_for(headers: str) -> str | None:
    """`sales_documents_X.csv` → `sales_documents_lines_X.csv` (None for other files)."""
    path = PurePath(headers)
    base, _, ext = path.name.rpartition(".")
    if ext.lower() == "xml" or entity_for_file(path.name) != "sales_documents":
        return None
    suffix = base[len("sales_documents"):].removeprefix("_headers")
    return str(path.with_name(f"{LINES_PREFIX}{suffix}.{ext}"))


def safe_join(folder: Path, name: str) -> Path:
    """`folder/name` for a bare file name; refuses anything that would leave `folder`."""
    candidate = PurePath(name)
    if (not name or candidate.is_absolute() or len(candidate.parts) != 1
            or candidate.name in (".", "..") or "\\" in name or "\x00" in name):
        raise ImportUsageError(f"{name!r} is not a plain file name")
    target = (folder / candidate.name).resolve()
    if target.parent != folder.resolve():
        raise ImportUsageError(f"{name!r} leads outside {folder}")
    return target


def check_entity(entity: str) -> str:
    if entity not in ENTITY_ORDER:
        raise ImportUsageError(f"unknown entity {entity!r}; one of: {', '.join(ENTITY_ORDER)}")
    return entity
