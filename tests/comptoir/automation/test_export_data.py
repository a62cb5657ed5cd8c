from datetime import datetime
from pathlib import Path

import pytest

from comptoir.automation.catalog import RunContext
from comptoir.automation.types.export_data import ENTITIES, ExportError, Options, run
from comptoir.backoffice.schema import metadata


def context(engine, tmp_path: Path, filename: str) -> RunContext:
    return RunContext("t", "r", engine, tmp_path, datetime(2024, 1, 2), filename, lambda _: None)


def test_every_entity_column_exists_in_the_schema():
    for name, entity in ENTITIES.items():
        table = metadata.tables[entity.table]
        for source in entity.columns.values():
            if ">" in source:
                fk, target = source.split(">")
                target_table, target_column = target.split(".")
                assert fk in table.c, (name, fk)
                assert target_column in metadata.tables[target_table].c, (name, target)
            else:
                assert source in table.c, (name, source)
        if entity.store_column:
            assert entity.store_column in table.c


def test_one_file_per_store_with_the_rows_of_that_store(seeded, tmp_path):
    engine = seeded
    output = run(context(engine, tmp_path, "c-{mag:code}.csv"),
                 Options(entity="customers", columns=["code", "name", "store", "credit_limit"]))
    by_store = {f.store.code: f for f in output.files}
    assert sorted(by_store) == ["MAG01", "MAG02"]  # CENTRAL is not a store
    lyon = by_store["MAG01"].path.read_text(encoding="utf-8").splitlines()
    assert lyon == ["code;name;store;credit_limit", "C001;Dupont;MAG01;1500,50",
                    "C003;Martin;MAG01;"]
    paris = by_store["MAG02"].path.read_text(encoding="utf-8").splitlines()
    assert paris[1] == 'C002;"Müller; Søren";MAG02;'
    assert by_store["MAG01"].lines == 2


def test_separator_encoding_header_and_decimal_point(seeded, tmp_path):
    engine = seeded
    options = Options(entity="stock", separator=",", decimal_separator=".", header=False,
                      encoding="cp1252", columns=["article", "depot", "quantity"])
    (produced,) = run(context(engine, tmp_path, "stock.csv"), options).files
    assert produced.path.read_bytes().decode("cp1252").splitlines() == [
        "A1,MAG01,4.000", "A1,CENTRAL,100.000"]


def test_stores_option_filters_a_single_file(seeded, tmp_path):
    engine = seeded
    (produced,) = run(context(engine, tmp_path, "stock.csv"),
                      Options(entity="stock", stores=["CENTRAL"], columns=["depot"])).files
    assert produced.path.read_text().splitlines() == ["depot", "CENTRAL"]
    with pytest.raises(ExportError, match="unknown store code.*MAG99"):
        run(context(engine, tmp_path, "stock.csv"), Options(entity="stock", stores=["MAG99"]))


def test_a_character_the_encoding_cannot_write_is_explained(seeded, tmp_path):
    engine = seeded
    from comptoir.backoffice.schema import customers
    with engine.begin() as conn:
        conn.execute(customers.update().where(customers.c.id == 1).values(name="Łukasz"))
    with pytest.raises(ExportError, match="'Ł' cannot be written in cp1252: choose the utf-8"):
        run(context(engine, tmp_path, "c.csv"), Options(entity="customers", encoding="cp1252"))
