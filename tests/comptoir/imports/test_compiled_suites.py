"""One compiled suite per entity per process: built by the first import, reused by the next
ones, rebuilt when what it depends on changes, and never carrying one run into another."""

from __future__ import annotations

import pytest

from comptoir.imports import gx_runner
from comptoir.imports.entities import base
from comptoir.imports.entities.customers import Customers

CUSTOMERS = ("CODE;DESIG;REGIME_CODE;IBAN\n"
             "N1;One;FR;FR7630006000011234567890189\n"
             "N2;Two;FR;FR7630006000011234567890188\n"   # wrong check digits
             "N1;Again;FR;\n")                           # duplicate_in_file
OTHERS = "CODE;DESIG;REGIME_CODE\nM1;Martin;XX\nM2;Durand;FR\n"  # XX: unknown_regime


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fresh suite cache; each build of the customers' expectations is logged."""
    gx_runner.forget_suites()
    logged: list[str] = []
    original = Customers.expectations

    def counted(self, run):  # type: ignore[no-untyped-def]
        logged.append(run.mode)
        return original(self, run)

    monkeypatch.setattr(Customers, "expectations", counted)
    yield logged
    gx_runner.forget_suites()


@pytest.fixture
def suites(monkeypatch: pytest.MonkeyPatch) -> list[gx_runner.CompiledSuite]:
    """The suite each validation of an entity ran."""
    seen: list[gx_runner.CompiledSuite] = []
    original = base.validate

    def spy(frame, suite, params, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(suite)
        return original(frame, suite, params, **kwargs)

    monkeypatch.setattr(base, "validate", spy)
    return seen


def _strip(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "batch_id"}


def test_the_second_import_of_an_entity_reuses_its_compiled_suite(
        dossier, files, imp, builds, suites) -> None:
    first = imp("customers", files("customers.csv", CUSTOMERS))
    second = imp("customers", files("others.csv", OTHERS))
    assert builds == ["create"]
    assert len(suites) == 2 and suites[0] is suites[1]
    assert {r.rule for r in first.rejections} == {"bank_details", "duplicate_in_file"}
    assert [(r.key, r.rule) for r in second.rejections] == [("M1", "unknown_regime")]


def test_a_change_of_mode_or_option_compiles_another_suite(
        dossier, files, imp, builds, suites) -> None:
    imp("customers", files("others.csv", OTHERS), dry_run=True)
    created = imp("customers", files("others.csv", OTHERS), dry_run=True,
                  auto_create_regimes=True)
    imp("customers", files("others.csv", OTHERS), dry_run=True, mode="modify")
    imp("customers", files("others.csv", OTHERS), dry_run=True, auto_create_regimes=True)
    assert builds == ["create", "create", "modify"]
    assert len({id(s) for s in suites}) == 3 and suites[1] is suites[3]
    assert created.rejected == 0  # without the unknown_regime check


def test_a_reused_suite_gives_each_run_its_own_verdicts(dossier, files, imp, builds) -> None:
    path = files("customers.csv", CUSTOMERS)
    alone = imp("customers", path, dry_run=True)
    other = imp("customers", files("others.csv", OTHERS), dry_run=True)
    again = imp("customers", path, dry_run=True)
    assert builds == ["create"]
    assert _strip(again.to_dict()) == _strip(alone.to_dict())
    assert {r.key for r in other.rejections} == {"M1"}  # nothing of the first file
    assert {r.key for r in again.rejections} == {"N1", "N2"}  # nothing of the second
