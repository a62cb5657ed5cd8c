"""Custom Great Expectations for the controls no built-in expectation expresses.

Each is a map expectation (one yes/no per row), so failing rows come back in GX's
unexpected index list like those of built-in expectations. Their conditions pass the rows
a check does not apply to (empty fields) by themselves, so the multicolumn and pair ones
default to `ignore_row_if` never / neither: GX then does not filter the frame first, once
per metric, for the same verdicts. Pandas only: the controls run
on the frame read from the file. Referential code lists (codes of the dossier) are passed
as ONE newline-separated string: GX copies list-valued parameters element by element
for every metric it computes, a string by reference.

Import this module only through `gx_runner` (it imports Great Expectations).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    ColumnPairMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    column_pair_condition_partial,
    multicolumn_condition_partial,
)

from comptoir.imports import bank
from comptoir.imports.values import is_in

_PAIR_KEYS = ("batch_id", "table", "column_A", "column_B", "row_condition",
              "condition_parser", "ignore_row_if")
_MULTI_KEYS = ("batch_id", "table", "column_list", "row_condition", "condition_parser",
               "ignore_row_if")


def _bool(series: pd.Series) -> pd.Series:
    return series.fillna(False).astype(bool)


# --- Column map: referential and duplicates ----------------------------------------------


class ColumnValuesInCodes(ColumnMapMetricProvider):
    condition_metric_name = "column_values.comptoir_in_codes"
    condition_value_keys = ("codes",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, codes, **kwargs):  # type: ignore[no-untyped-def]
        return is_in(column, codes)


class ColumnValuesNotInCodes(ColumnMapMetricProvider):
    condition_metric_name = "column_values.comptoir_not_in_codes"
    condition_value_keys = ("codes",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, codes, **kwargs):  # type: ignore[no-untyped-def]
        return ~is_in(column, codes)


class ColumnValuesFirstOccurrence(ColumnMapMetricProvider):
    condition_metric_name = "column_values.comptoir_first_occurrence"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):  # type: ignore[no-untyped-def]
        return ~column.duplicated(keep="first")


class ExpectColumnValuesToBeInCodes(ColumnMapExpectation):
    """Filled values are codes of the given list (a referential of the dossier)."""

    codes: str | SuiteParameterDict
    map_metric = "column_values.comptoir_in_codes"
    success_keys = ("codes", "mostly")
    args_keys = ("column", "codes")


class ExpectColumnValuesToNotBeInCodes(ColumnMapExpectation):
    """Filled values are none of the given codes (homonymy, already imported)."""

    codes: str | SuiteParameterDict
    map_metric = "column_values.comptoir_not_in_codes"
    success_keys = ("codes", "mostly")
    args_keys = ("column", "codes")


class ExpectColumnValuesToBeFirstOccurrence(ColumnMapExpectation):
    """A filled value appears for the first time: every later occurrence is unexpected."""

    map_metric = "column_values.comptoir_first_occurrence"
    success_keys = ("mostly",)


# --- Column pair: readable values ----------------------------------------------------------


class ColumnPairReadable(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.comptoir_readable"
    condition_domain_keys = _PAIR_KEYS

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):  # type: ignore[no-untyped-def]
        return column_A.isna() | column_B.notna()


class ExpectColumnPairValuesToBeReadable(ColumnPairMapExpectation):
    """A filled field (column_A) could be read: its parsed value (column_B) is not null."""

    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = (
        "neither"
    )
    map_metric = "column_pair_values.comptoir_readable"
    success_keys = ("ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")


# --- Multicolumn: quantities, lots, bank details -------------------------------------------


class MulticolumnPositiveWhenFilled(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.comptoir_positive_when_filled"
    condition_domain_keys = _MULTI_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):  # type: ignore[no-untyped-def]
        key, raw, parsed = (column_list.iloc[:, i] for i in range(3))
        positive = _bool(parsed > 0)
        unreadable = raw.notna() & parsed.isna()
        return key.isna() | positive | unreadable


class ExpectQuantityToBePositiveWhenFilled(MulticolumnMapExpectation):
    """column_list = [key, raw quantity, parsed quantity]: a filled key needs a quantity > 0.

    An unreadable quantity passes here: `invalid_value` names it.
    """

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.comptoir_positive_when_filled"
    success_keys = ("ignore_row_if", "mostly")
    args_keys = ("column_list",)


class MulticolumnLotsFollowArticle(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.comptoir_lots_follow_article"
    condition_domain_keys = _MULTI_KEYS
    condition_value_keys = ("codes", "lots_required")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, codes, lots_required, **kwargs):  # type: ignore[no-untyped-def]
        article = column_list.iloc[:, 0]
        has_lot = column_list.iloc[:, 1:].notna().any(axis=1)
        concerned = is_in(article, codes)
        return ~concerned | (has_lot if lots_required else ~has_lot)


class ExpectLotsToFollowArticle(MulticolumnMapExpectation):
    """column_list = [ART_CODE, LOT1..LOTn]: articles of `codes` must (not) have lots."""

    codes: str | SuiteParameterDict
    lots_required: bool
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.comptoir_lots_follow_article"
    success_keys = ("codes", "lots_required", "ignore_row_if", "mostly")
    args_keys = ("column_list", "codes", "lots_required")


class MulticolumnLotsSum(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.comptoir_lots_sum"
    condition_domain_keys = _MULTI_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):  # type: ignore[no-untyped-def]
        width = (column_list.shape[1] - 1) // 2
        total = column_list.iloc[:, 0]
        lots = column_list.iloc[:, 1:1 + width].notna().to_numpy()
        qty = column_list.iloc[:, 1 + width:].astype("Int64")
        filled_qty = qty.where(lots)
        complete = (filled_qty.notna().to_numpy() == lots).all(axis=1)
        summed = filled_qty.sum(axis=1, skipna=True)
        checked = pd.Series(lots.any(axis=1) & complete, index=column_list.index) & total.notna()
        return ~checked | _bool(summed == total)


class ExpectLotQuantitiesToSumToTotal(MulticolumnMapExpectation):
    """column_list = [total, LOT1..LOTn, QLOT1..QLOTn] (parsed): lot quantities add up.

    Rows without lots, without a total or with a lot quantity missing pass here.
    """

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.comptoir_lots_sum"
    success_keys = ("ignore_row_if", "mostly")
    args_keys = ("column_list",)


class MulticolumnDistinctWhenFilled(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.comptoir_distinct_when_filled"
    condition_domain_keys = _MULTI_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):  # type: ignore[no-untyped-def]
        filled = column_list.notna().sum(axis=1)
        return column_list.nunique(axis=1, dropna=True) == filled


class ExpectFilledValuesToBeDistinctWithinRecord(MulticolumnMapExpectation):
    """The filled fields of column_list hold different values (e.g. lot numbers of a row)."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.comptoir_distinct_when_filled"
    success_keys = ("ignore_row_if", "mostly")
    args_keys = ("column_list",)


BankCheck = Literal["rib_complete", "rib_format", "rib_key", "iban_rib"]


class MulticolumnBankDetails(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.comptoir_bank_details"
    condition_domain_keys = _MULTI_KEYS
    condition_value_keys = ("check",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, check, **kwargs):  # type: ignore[no-untyped-def]
        if check == "iban_rib":
            return bank.iban_matches_rib(column_list.iloc[:, 0], column_list.iloc[:, 1:])
        test = {"rib_complete": bank.rib_complete, "rib_format": bank.rib_format_ok,
                "rib_key": bank.rib_key_ok}[check]
        return test(column_list)


class ExpectBankDetailsToBeValid(MulticolumnMapExpectation):
    """RIB fields (RIB_BANQUE, RIB_GUICHET, RIB_COMPTE, RIB_CLE), optionally after the IBAN.

    check: `rib_complete`, `rib_format`, `rib_key` (French key), `iban_rib` (a French or
    Monaco IBAN carries the RIB as its BBAN; column_list starts with the IBAN).
    """

    check: BankCheck
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.comptoir_bank_details"
    success_keys = ("check", "ignore_row_if", "mostly")
    args_keys = ("column_list", "check")


class ColumnValuesIban(ColumnMapMetricProvider):
    condition_metric_name = "column_values.comptoir_iban"
    condition_value_keys = ("part",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, part, **kwargs):  # type: ignore[no-untyped-def]
        test = bank.iban_format_ok if part == "format" else bank.iban_checksum_ok
        return test(column)


class ExpectColumnValuesToBeValidIban(ColumnMapExpectation):
    """part `format`: a known country, its length and BBAN format; `check_digits`: ISO 13616."""

    part: Literal["format", "check_digits"]
    map_metric = "column_values.comptoir_iban"
    success_keys = ("part", "mostly")
    args_keys = ("column", "part")


CUSTOM = (
    ExpectColumnValuesToBeInCodes, ExpectColumnValuesToNotBeInCodes,
    ExpectColumnValuesToBeFirstOccurrence, ExpectColumnPairValuesToBeReadable,
    ExpectQuantityToBePositiveWhenFilled, ExpectLotsToFollowArticle,
    ExpectLotQuantitiesToSumToTotal, ExpectFilledValuesToBeDistinctWithinRecord,
    ExpectBankDetailsToBeValid, ExpectColumnValuesToBeValidIban,
)
