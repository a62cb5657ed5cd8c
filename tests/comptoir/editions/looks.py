"""Reading an edition back as its reader sees it: the text and bookmarks of a PDF (pypdf),
its first page rendered to PNG (pdftoppm from poppler-utils), and a comparison with the
reference picture kept in `tests/comptoir/editions/reference/` that notices a layout
change but not a pixel of anti-aliasing.

The rendered pages and the differences go to the tests' artefacts
(`var/test-artefacts/editions/`, or `$COMPTOIR_TEST_ARTEFACTS/editions/`). After a wanted
layout change, write the new references with `COMPTOIR_UPDATE_REFERENCES=1 make test`
(then look at them, and copy them to `docs/editions/` when the docs show them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[3]
REFERENCES = Path(__file__).parent / "reference"
DPI = 50
"""Rendering resolution: a page of text is recognisable, the pictures stay small."""
TOLERANCE = 0.01
"""Share of pixels allowed to differ clearly (beyond `LEVEL` grey levels)."""
LEVEL = 64


def artefacts() -> Path:
    """Where rendered pages and differences are kept for a person to look at."""
    base = Path(os.environ.get("COMPTOIR_TEST_ARTEFACTS", ROOT / "var" / "test-artefacts"))
    folder = base / "editions"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pages_text(pdf: Path) -> list[str]:
    """The text of each page, as a PDF reader extracts it."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def bookmarks(pdf: Path) -> list[tuple[str, int]]:
    """The top-level outline entries: (title, page index)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    found: list[tuple[str, int]] = []
    for entry in reader.outline:
        if isinstance(entry, list):  # children of the previous entry
            continue
        found.append((str(entry.title), reader.get_destination_page_number(entry)))
    return found


def first_page_png(pdf: Path, name: str, dpi: int = DPI) -> Path:
    """Render page 1 of `pdf` to `<artefacts>/<name>.png`; its path."""
    tool = shutil.which("pdftoppm")
    assert tool, "pdftoppm is missing: run `make test-servers` (poppler-utils)"
    stem = artefacts() / name
    subprocess.run([tool, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                    "-gray", str(pdf), str(stem)], check=True, capture_output=True)
    return stem.with_suffix(".png")


def difference(picture: Path, reference: Path) -> float:
    """The share of pixels that differ clearly between two pictures of the same size
    (1.0 when the sizes differ: the page or chart changed shape)."""
    with Image.open(picture) as a, Image.open(reference) as b:
        first, second = a.convert("L"), b.convert("L")
        if first.size != second.size:
            return 1.0
        diff = ImageChops.difference(first, second)
        changed = sum(diff.point(lambda v: 255 if v > LEVEL else 0).histogram()[255:])
        diff.save(artefacts() / f"{picture.stem}.diff.png")
        return changed / (first.size[0] * first.size[1])


def assert_looks_like(picture: Path, name: str, tolerance: float = TOLERANCE) -> None:
    """`picture` matches the reference `<name>.png` within `tolerance`; with
    `COMPTOIR_UPDATE_REFERENCES=1`, it becomes the reference."""
    reference = REFERENCES / f"{name}.png"
    if os.environ.get("COMPTOIR_UPDATE_REFERENCES") == "1":
        REFERENCES.mkdir(exist_ok=True)
        shutil.copyfile(picture, reference)
    assert reference.exists(), (
        f"no reference picture {reference}: look at {picture}, then run the test with "
        "COMPTOIR_UPDATE_REFERENCES=1 to keep it")
    share = difference(picture, reference)
    assert share <= tolerance, (
        f"{picture.name} differs from {reference.name} on {share:.1%} of its pixels "
        f"(tolerance {tolerance:.1%}): see {artefacts()} for the picture and its difference")
