"""`fengping score isra`: score a table of GB/T 20984 scenarios from CSV.

Reads a CSV in UTF-8 (with or without BOM) or GB18030/GBK — what Chinese Excel saves —
through the Django-free `fengping.tabular` (the same decoder as the web imports), with
columns asset_value, threat_frequency, vuln_severity (optional measure_effect) and
writes the same rows with likelihood, loss, risk_value and risk_level added. Every row is
checked first; if any is bad, each bad row is reported with its line number and nothing is
written (a half-written result would be mistaken for a whole one).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from fengping.scoring import risk_by_matrix, risk_by_multiplication
from fengping.tabular import ReadError, csv_rows, decode_text

from .methods import isra_bands, isra_default_calculation, isra_tables
from .model import Scheme

REQUIRED = ("asset_value", "threat_frequency", "vuln_severity")
OPTIONAL = ("measure_effect",)
ADDED = ("likelihood", "loss", "risk_value", "risk_level")


@dataclass
class CsvReport:
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    levels: dict[str, int] = field(default_factory=dict)


def _int(value: str, column: str, low: int, high: int) -> int:
    text = (value or "").strip()
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"{column}={text!r} 不是整数 / is not an integer") from None
    if not low <= number <= high:
        raise ValueError(f"{column}={number} 超出范围 {low}–{high} / out of range {low}–{high}")
    return number


def score_csv(
    source: Path, target: Path, scheme: Scheme, calculation: str | None = None
) -> CsvReport:
    calculation = calculation or isra_default_calculation(scheme)
    bands = isra_bands(scheme)
    tables = isra_tables(scheme) if calculation == "matrix" else None
    report = CsvReport()
    try:
        decoded = decode_text(source.read_bytes())
        rows = csv_rows(decoded.text)
        first = next(rows, None)
    except ReadError as exc:
        report.errors.append(f"{source}: {exc.message}")
        return report
    header = [h.strip() for h in (first[1] if first else [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append(
            f"{source}: 第 1 行缺少列 / line 1 lacks column(s): {', '.join(missing)}"
        )
        return report
    out_rows: list[dict[str, str]] = []
    try:
        numbered = [
            (line, {h: cells[i] if i < len(cells) else "" for i, h in enumerate(header)})
            for line, cells in rows
        ]
    except ReadError as exc:
        report.errors.append(f"{source}: {exc.message}")
        return report
    for line, row in numbered:
        if not any(row.values()):
            continue
        try:
            ia = _int(row["asset_value"], "asset_value", 1, 5)
            t = _int(row["threat_frequency"], "threat_frequency", 1, 5)
            v = _int(row["vuln_severity"], "vuln_severity", 1, 5)
            effect = (
                _int(row["measure_effect"], "measure_effect", 0, 4)
                if "measure_effect" in header and (row.get("measure_effect") or "").strip()
                else 0
            )
        except ValueError as exc:
            report.errors.append(f"{source}: 第 {line} 行 / line {line}: {exc}")
            continue
        if calculation == "matrix":
            result = risk_by_matrix(ia, t, v, measure_effect=effect, tables=tables, bands=bands)  # type: ignore[arg-type]
            likelihood, loss = f"{int(result.likelihood)}", f"{int(result.loss)}"
        else:
            result = risk_by_multiplication(ia, t, v, measure_effect=effect, bands=bands)
            likelihood, loss = f"{result.likelihood:.2f}", f"{result.loss:.2f}"
        out = {key: value for key, value in row.items() if key}
        out.update(
            likelihood=likelihood, loss=loss, risk_value=str(result.risk), risk_level=result.band
        )
        out_rows.append(out)
        report.levels[result.band] = report.levels.get(result.band, 0) + 1
    if report.errors:
        return report
    columns = header + [c for c in ADDED if c not in header]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(out_rows)
    report.rows = len(out_rows)
    return report
