"""Generated import files with a sprinkling of every kind of mistake (comptoir.demo): the
reports name every mistake listed in expected_errors.csv and exactly the good records
are written."""

from __future__ import annotations

import csv
from pathlib import Path

from comptoir.demo.files import Request, write_files
from comptoir.imports.naming import ENTITY_ORDER, entity_for_file, lines_file_for
from comptoir.imports.service import run_import
from tests.comptoir.imports.conftest import count


def test_every_generated_mistake_is_found_and_only_good_records_are_written(
        dossier_url, engine, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    write_files(folder, Request(customers=300, articles=200, suppliers=60, documents=60,
                                stocks=200, errors=0.2, seed=7))
    by_entity = {entity_for_file(p.name): p for p in folder.iterdir() if entity_for_file(p.name)}
    found: set[tuple[str, int, str]] = set()
    reports = {}
    for entity in ENTITY_ORDER:
        if entity not in by_entity:
            continue
        path = by_entity[entity]
        lines = lines_file_for(str(path)) if entity == "sales_documents" else None
        report = run_import(entity, path, lines_file=lines, url=dossier_url,
                            report_dir=tmp_path / entity, data_docs=False)
        assert report.error is None, report.error
        reports[entity] = report
        found |= {(r.file, r.line, r.rule) for r in report.rejections}
    with (folder / "expected_errors.csv").open(encoding="utf-8") as handle:
        expected = {(r["file"], int(r["line"]), r["rule"])
                    for r in csv.DictReader(handle, delimiter=";")}
    assert len({rule for _, _, rule in expected}) >= 15
    assert expected - found == set()
    expected_lines = {(f, line) for f, line, _ in expected}
    for file, line, rule in found - expected:
        # the lines of a rejected document, or another rule broken by a spoilt record
        assert rule == "document_incomplete" or (file, line) in expected_lines, (file, line, rule)
    for entity, table in (("customers", "customers"), ("suppliers", "suppliers"),
                          ("articles", "articles")):
        report = reports[entity]
        rejected = {r.line for r in report.rejections}
        assert report.accepted == report.records - len(rejected)
        assert count(engine, table) == report.accepted
