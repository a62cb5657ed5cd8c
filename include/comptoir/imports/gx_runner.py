"""One place that runs a Great Expectations suite on a frame and turns failures into rejections.

GX is imported here, lazily, with its import-time logging and progress bars silenced. One
ephemeral context serves the whole process, and one compiled suite each entity (`compiled`):
the expectations and GX suites are built on the first run and reused by the next ones,
which bring only their frame and parameters. Every expectation carries in its `meta` the
contract's rule, the field it names and a message template (`{value}` is the field's
value); failing rows come from GX's unexpected index list (`_row` column).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from comptoir.errors import ComptoirError

ROW = "_row"
_LOCK = threading.Lock()
#: From this many records, expectations run in groups sharing their columns.
GROUP_ROWS = 20_000
_STATE: dict[str, Any] = {}
_SUITES: dict[tuple[str, Hashable], CompiledSuite] = {}
_NOISY = ("great_expectations", "great_expectations._docs_decorators", "posthog",
          "great_expectations.data_context", "great_expectations.core",
          "great_expectations.data_context.types.base")


class ControlError(ComptoirError):
    """A control could not run (a bug or a broken environment, never the file's fault)."""


def _quiet() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)


def gx() -> Any:
    """The `great_expectations` module, imported quietly once."""
    with _LOCK:
        if "gx" not in _STATE:
            _quiet()
            import great_expectations
            import great_expectations.execution_engine.pandas_execution_engine as engine

            # GX fingerprints every batch by hashing the whole frame (seconds on a big
            # file) for a marker we never read; a zero threshold skips it.
            engine.HASH_THRESHOLD = 0
            import comptoir.imports.expectations  # noqa: F401  (registers the custom ones)

            _quiet()  # some GX modules set their own level when imported

            _STATE["gx"] = great_expectations
        return _STATE["gx"]


def context() -> Any:
    """The process's ephemeral GX context, progress bars off, one pandas data source."""
    module = gx()
    with _LOCK:
        if "context" not in _STATE:
            ctx = module.get_context(mode="ephemeral")
            ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
            source = ctx.data_sources.add_pandas("comptoir_imports")
            asset = source.add_dataframe_asset("records")
            _STATE["context"] = ctx
            _STATE["batch_definition"] = asset.add_batch_definition_whole_dataframe("file")
        return _STATE["context"]


def expect(kind: str, rule: str, field_name: str | None, message: str, *,
           value: str | None = None, decisive: bool = False, **kwargs: Any) -> Any:
    """An expectation (`kind` is the class name) tagged with the rule it enforces.

    `message` may hold `{value}`: the value of `value` (default: the field) on that record.
    A `decisive` expectation runs first: a record it rejects is not controlled further
    (a code that already exists cannot be created, whatever its other fields say).
    """
    gx()
    from comptoir.imports import expectations as custom

    cls = getattr(custom, kind, None) or getattr(gx().expectations, kind)
    meta = {"rule": rule, "field": field_name, "message": message,
            "value_column": value or field_name, "decisive": decisive}
    return cls(meta=meta, **kwargs)


def _columns(expectation: Any, available: list[str]) -> set[str]:
    cols: set[str] = set()
    condition = getattr(expectation, "row_condition", None)
    condition = getattr(condition, "pass_through_filter", condition)
    if isinstance(condition, str):
        cols.update(c for c in available if re.search(rf"\b{re.escape(c)}\b", condition))
    for attr in ("column", "column_A", "column_B"):
        value = getattr(expectation, attr, None)
        if isinstance(value, str):
            cols.add(value)
    cols.update(getattr(expectation, "column_list", None) or [])
    return cols


def _code_users(expectations: list[Any], available: list[str]) -> dict[str, set[str]]:
    """Code-list parameter → the columns of the expectations that compare to it."""
    users: dict[str, set[str]] = {}
    for expectation in expectations:
        codes = getattr(expectation, "codes", None)
        name = codes.get("$PARAMETER") if isinstance(codes, dict) else None
        if name:
            users.setdefault(name, set()).update(_columns(expectation, available) - {ROW})
    return users


def narrow_codes(frame: pd.DataFrame, expectations: list[Any],
                 params: dict[str, Any]) -> dict[str, Any]:
    """Every code-list parameter cut down to the codes found in the columns that use it.

    A code list is a `join_codes` string or an Arrow array (e.g. the codes of a big file's
    earlier slices). Comparing a column to the codes it holds gives the same verdict on
    every row as comparing it to the whole list, and GX carries the parameter into every
    metric it computes: a dossier's or a file's million codes become the few that matter.
    """
    from comptoir.imports.values import codes_among, distinct_text

    narrowed = dict(params)
    for name, columns in _code_users(expectations, list(frame.columns)).items():
        if name not in params:
            continue
        pieces = [distinct_text(frame[column]) for column in sorted(columns)]
        candidates = pa.concat_arrays(pieces) if pieces else pa.array([], type=pa.string())
        narrowed[name] = codes_among(params[name], candidates)
    return narrowed


Plan = list[tuple[Any, list[str]]]
"""GX suites to run one after the other, each with the frame columns it reads."""


@dataclass(eq=False)
class CompiledSuite:
    """An entity's expectations (in order) and the GX suites built from them, built once.

    Read-only once built: a run brings its frame and parameters to `validate`, and GX's
    results are new objects every time, so nothing of one run reaches the next.
    """

    name: str
    expectations: tuple[Any, ...]
    _plans: dict[tuple[tuple[str, ...], bool, bool], Plan] = field(default_factory=dict,
                                                                   repr=False)

    def stage(self, decisive: bool) -> list[Any]:
        """The decisive expectations (run first), or the others."""
        return [e for e in self.expectations if bool(e.meta.get("decisive")) == decisive]

    def plan(self, available: list[str], grouped: bool, *, decisive: bool = False) -> Plan:
        """The suites of a stage for a frame with these columns: one, or (big frames) one
        per group of expectations sharing their columns. Built on first use for each column
        set; empty when the stage has no expectation."""
        key = (tuple(available), grouped, decisive)
        with _LOCK:
            found = self._plans.get(key)
        if found is not None:
            return found
        module = gx()
        groups: dict[frozenset[str], list[Any]] = {}
        suffix = ".decisive" if decisive else ""
        for expectation in self.stage(decisive):
            columns = frozenset(_columns(expectation, available))
            groups.setdefault(columns if grouped else frozenset(), []).append(expectation)
        plan: Plan = []
        for number, group in enumerate(groups.values()):
            name = f"{self.name}{suffix}"
            suite = module.ExpectationSuite(name=f"{name}.{number}" if number else name)
            used: set[str] = {ROW}
            for expectation in group:
                suite.add_expectation(expectation)
                used |= _columns(expectation, available)
            plan.append((suite, [c for c in available if c in used]))
        with _LOCK:
            return self._plans.setdefault(key, plan)


def compile_suite(name: str, expectations: Sequence[Any]) -> CompiledSuite:
    """A suite of `expectations`, each tagged with its order (rejections are listed in it)."""
    for order, expectation in enumerate(expectations):
        expectation.meta["order"] = order
    return CompiledSuite(name, tuple(expectations))


def compiled(name: str, key: Hashable, build: Callable[[], Sequence[Any]]) -> CompiledSuite:
    """The process's suite `name` for `key`: `build()` gives its expectations, the first time.

    `key` must hold everything the expectations depend on (mode, options, settings), never
    a run's data: the dossier's codes and the frame come as parameters of each validation.
    """
    with _LOCK:
        found = _SUITES.get((name, key))
    if found is not None:
        return found
    suite = compile_suite(name, build())
    with _LOCK:
        return _SUITES.setdefault((name, key), suite)


def forget_suites() -> None:
    """Drop the compiled suites (the next run of each entity builds its own again)."""
    with _LOCK:
        _SUITES.clear()


@dataclass
class Outcome:
    """What one suite run found: rejections (one row per rule and field) and GX's result."""

    rejections: pd.DataFrame
    result: Any = None
    suite_name: str = ""


REJECTION_COLUMNS = [ROW, "rule", "field", "message"]


def empty_rejections() -> pd.DataFrame:
    return pd.DataFrame({ROW: pd.Series([], dtype="int64"), "rule": pd.Series([], dtype="str"),
                         "field": pd.Series([], dtype="object"),
                         "message": pd.Series([], dtype="str")})


def validate(frame: pd.DataFrame, suite: CompiledSuite | Sequence[Any],
             params: dict[str, Any], *, suite_name: str = "") -> Outcome:
    """Run the suite on `frame` (which has a `_row` column) and collect rejections.

    `suite`: a compiled suite (`compiled`), or a list of expectations compiled for this
    call as `suite_name`. Decisive expectations run first, on the whole frame; the records
    they reject are left out of the others (a re-run of a big file, every record
    `already_exists`, costs one expectation per record, not the whole suite). Code-list
    parameters are narrowed to the frame's codes first (`narrow_codes`).
    """
    if not isinstance(suite, CompiledSuite):
        suite = compile_suite(suite_name, suite)
    if frame.empty or not suite.expectations:
        return Outcome(empty_rejections(), None, suite.name)
    context()
    found, results = [], []
    for decisive in (True, False):
        plan = suite.plan(list(frame.columns), len(frame) >= GROUP_ROWS, decisive=decisive)
        if not plan or frame.empty:
            continue
        stage, outcome = _run_plan(frame, plan, suite.stage(decisive), params)
        found.append(stage)
        results.extend(outcome)
        if decisive and not stage.empty:
            frame = frame.drop(index=pd.Index(stage[ROW].unique()))
    if not results:
        return Outcome(empty_rejections(), None, suite.name)
    merged = results[0]
    for other in results[1:]:
        merged.results.extend(other.results)
    rejections = pd.concat(found, ignore_index=True).sort_values([ROW, "order"], kind="stable")
    rejections = rejections.drop_duplicates([ROW, "rule", "field"], keep="first")
    return Outcome(rejections.drop(columns="order").reset_index(drop=True), merged, suite.name)


def _run_plan(frame: pd.DataFrame, plan: Plan, expectations: list[Any],
              params: dict[str, Any]) -> tuple[pd.DataFrame, list[Any]]:
    """GX's verdicts on `frame`, one suite of the plan after the other, each on its columns
    (GX filters the whole frame it is given for every expectation)."""
    params = narrow_codes(frame, expectations, params)
    found, results = [], []
    for gx_suite, used in plan:
        subset = frame[used]
        # The failing rows are read from the index, which is the `_row` column: GX lists
        # an unnamed index as is, while `unexpected_index_column_names` costs it a
        # `DataFrame.at` per failing row (40 s for 200,000 rows already in the dossier).
        subset.index = pd.Index(subset[ROW].to_numpy())
        batch = _STATE["batch_definition"].get_batch(batch_parameters={"dataframe": subset})
        result = batch.validate(gx_suite, expectation_parameters=params,
                                result_format={"result_format": "COMPLETE",
                                               "exclude_unexpected_values": True})
        found.append(_rejections(frame, result))
        results.append(result)
    return pd.concat(found, ignore_index=True), results


def _raised(info: dict[str, Any]) -> str | None:
    """GX's exception info, flat or keyed by metric: the first error message, if any."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _rejections(frame: pd.DataFrame, result: Any) -> pd.DataFrame:
    parts = []
    for res in result.results:
        meta = res.expectation_config.meta or {}
        problem = _raised(res.exception_info or {})
        if problem:
            raise ControlError(
                f"the control {meta.get('rule')} ({res.expectation_config.type}) failed to run: "
                f"{problem}"
            )
        if res.success:
            continue
        rows = res.result.get("unexpected_index_list") or []
        if not rows:
            continue
        if isinstance(rows[0], dict):
            rows = [entry[ROW] for entry in rows]
        rows_index = pd.Index(rows, dtype="int64")
        field_name = meta.get("field")
        template = meta.get("message", "")
        source = meta.get("value_column")
        if source and source in frame.columns and "{value}" in template:
            messages = _fill(template, frame[source].reindex(rows_index))
        else:
            messages = pd.Series(template, index=range(len(rows)), dtype="str")
        parts.append(pd.DataFrame({ROW: rows_index.to_numpy(), "rule": meta.get("rule"),
                                   "field": field_name, "message": messages.to_numpy(),
                                   "order": meta.get("order", 0)}))
    if not parts:
        return empty_rejections().assign(order=pd.Series([], dtype="int64"))
    return pd.concat(parts, ignore_index=True)


def _fill(template: str, values: pd.Series) -> pd.Series:
    """`template.format(value=v)` for every value, on Arrow kernels (a null is empty)."""
    import pyarrow.compute as pc

    from comptoir.imports.values import arrow_text

    pieces = [piece.replace("{{", "{").replace("}}", "}") for piece in template.split("{value}")]
    text = pc.fill_null(arrow_text(values), "")
    arrays: list[Any] = [pieces[0]]
    for piece in pieces[1:]:
        arrays += [text, piece]
    joined = pc.binary_join_element_wise(*arrays, "")
    return pd.Series(joined, dtype="str")
