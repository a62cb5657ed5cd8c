"""Sales documents as one XML file: <PIECES><PIECE>…<LIGNES><LIGNE>… (spec/imports.md).

Parsed with defusedxml's SAX parser: DTDs, entities and external references are refused,
and the file is capped in size. `_line` is the line of the <PIECE> or <LIGNE> start tag;
`_doc` links a line to its piece (the 1-based position of the PIECE).
"""

from __future__ import annotations

import xml.sax
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from comptoir.imports.errors import ImportFileError
from comptoir.imports.report import Notice

MAX_XML_BYTES = 64 * 1024 * 1024
DOC = "_doc"
LINE = "_line"


@dataclass
class XmlDocuments:
    """The pieces and their lines as two frames of text columns."""

    headers: pd.DataFrame
    lines: pd.DataFrame
    warnings: list[Notice] = field(default_factory=list)


class _Handler(xml.sax.handler.ContentHandler):
    def __init__(self, name: str, header_columns: set[str], line_columns: set[str]) -> None:
        super().__init__()
        self.name = name
        self.header_columns, self.line_columns = header_columns, line_columns
        self.headers: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.warnings: list[Notice] = []
        self.path: list[str] = []
        self.current: dict[str, Any] | None = None
        self.text: list[str] = []
        self.locator: Any = None
        self._unknown: set[str] = set()

    def setDocumentLocator(self, locator: Any) -> None:  # noqa: N802 (SAX API)
        self.locator = locator

    def _line(self) -> int | None:
        return self.locator.getLineNumber() if self.locator else None

    def startElement(self, tag: str, attrs: Any) -> None:  # noqa: N802 (SAX API)
        parent = self.path[-1] if self.path else None
        self.path.append(tag)
        self.text = []
        if len(self.path) == 1:
            if tag != "PIECES":
                raise ImportFileError(f"{self.name}: the root element must be PIECES, not {tag}")
        elif tag == "PIECE" and parent == "PIECES":
            self.current = {LINE: self._line(), DOC: len(self.headers) + 1}
            self.headers.append(self.current)
        elif tag == "LIGNE" and parent == "LIGNES" and self.headers:
            self.current = {LINE: self._line(), DOC: self.headers[-1][DOC]}
            self.lines.append(self.current)

    def characters(self, content: str) -> None:
        self.text.append(content)

    def endElement(self, tag: str) -> None:  # noqa: N802 (SAX API)
        self.path.pop()
        parent = self.path[-1] if self.path else None
        value = "".join(self.text).strip() or None
        self.text = []
        if parent == "PIECE" and tag != "LIGNES":
            self._store(tag, value, self.header_columns)
        elif parent == "LIGNE":
            self._store(tag, value, self.line_columns)
        elif tag in ("PIECE", "LIGNE"):
            self.current = self.headers[-1] if tag == "LIGNE" and self.headers else None

    def _store(self, tag: str, value: str | None, known: set[str]) -> None:
        if tag.upper() in known and self.current is not None:
            self.current[tag.upper()] = value
        elif tag not in self._unknown:
            self._unknown.add(tag)
            self.warnings.append(Notice(self.name, self._line(), f"unknown element {tag} ignored"))


def read_sales_xml(path: Path, *, header_columns: list[str], line_columns: list[str],
                   display_name: str | None = None,
                   max_bytes: int = MAX_XML_BYTES) -> XmlDocuments:
    """Read the XML file; raises `ImportFileError` when it cannot be read safely."""
    from defusedxml import DefusedXmlException
    from defusedxml.expatreader import DefusedExpatParser

    name = display_name or path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"{name}: cannot read the file ({exc.strerror})") from None
    if size > max_bytes:
        raise ImportFileError(f"{name}: {size} bytes is more than the {max_bytes} bytes an XML "
                              "import may have")
    if size == 0:
        raise ImportFileError(f"{name}: the file is empty")
    handler = _Handler(name, set(header_columns), set(line_columns))
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    parser.setContentHandler(handler)
    try:
        parser.parse(str(path))
    except DefusedXmlException as exc:
        raise ImportFileError(f"{name}: refused: DTDs and entities are not allowed in an "
                              f"import ({type(exc).__name__})") from None
    except xml.sax.SAXParseException as exc:
        raise ImportFileError(f"{name}: not well-formed XML, line {exc.getLineNumber()}: "
                              f"{exc.getMessage()}") from None
    except (UnicodeError, ValueError) as exc:
        raise ImportFileError(f"{name}: cannot be read as XML ({exc})") from None
    return XmlDocuments(_frame(handler.headers, header_columns),
                        _frame(handler.lines, line_columns), handler.warnings)


def _frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([r.get(c) for r in records], dtype="str")
                          for c in columns})
    frame[LINE] = pd.Series([r[LINE] for r in records], dtype="int64")
    frame[DOC] = pd.Series([r[DOC] for r in records], dtype="int64")
    return frame
