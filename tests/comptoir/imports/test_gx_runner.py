"""The GX runner: code-list parameters narrowed to the frame's codes, same verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from comptoir.imports.gx_runner import ROW, expect, narrow_codes, validate
from comptoir.imports.values import join_codes


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame({"CODE": ["A1", "B2", None, "Z9", "A1"],
                          "REGIME": ["FR", "XX", "FR", None, "UE"]}, dtype="str")
    frame[ROW] = np.arange(len(frame), dtype=np.int64)
    return frame


def _expectations() -> list:
    return [
        expect("ExpectColumnValuesToNotBeInCodes", "already_exists", "CODE", "{value} exists",
               column="CODE", codes={"$PARAMETER": "known"}),
        expect("ExpectColumnValuesToBeInCodes", "unknown_regime", "REGIME", "{value}?",
               column="REGIME", codes={"$PARAMETER": "regimes"}),
    ]


def test_code_lists_keep_only_the_codes_the_columns_hold() -> None:
    known = join_codes(f"C{i}" for i in range(10_000)) + "\nA1\nZ9"
    seen = pa.array(["B2", "Q7"], type=pa.string())
    narrowed = narrow_codes(_frame(), _expectations(),
                            {"known": known, "regimes": "FR\nUE\nEXPORT", "other": seen})
    assert narrowed == {"known": "A1\nZ9", "regimes": "FR\nUE", "other": seen}


def test_narrowed_parameters_give_the_verdicts_of_the_whole_lists() -> None:
    known = pa.array([f"C{i}" for i in range(10_000)] + ["Z9"], type=pa.string())
    outcome = validate(_frame(), _expectations(), {"known": known, "regimes": "FR\nUE"},
                       suite_name="test")
    assert set(zip(outcome.rejections[ROW], outcome.rejections["rule"], strict=True)) == {
        (3, "already_exists"), (1, "unknown_regime")}
