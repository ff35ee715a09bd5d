"""`fengping scheme …` and `fengping score isra` against hand-computed GB/T 20984 results."""

import csv

import pytest

from fengping.cli import main
from fengping.schemes import get
from fengping.schemes.methods import bands_of, composite_spec, isra_bands
from fengping.scoring import FactorScore, score_factors


def write(
    path, rows, header=("asset_value", "threat_frequency", "vuln_severity", "measure_effect")
):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def read(path):
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


# asset, threat, vuln, measure -> likelihood, loss, risk, level (computed by hand)
MULTIPLY = [
    ((5, 4, 3, ""), ("3.46", "3.87", "13", "中等")),  # √12 · √15 = √180 = 13.42
    ((5, 5, 5, 0), ("5.00", "5.00", "25", "很高")),
    ((1, 1, 1, ""), ("1.00", "1.00", "1", "很低")),
    ((4, 3, 2, ""), ("2.45", "2.83", "7", "低")),  # √6 · √8 = √48 = 6.93
    ((4, 4, 4, ""), ("4.00", "4.00", "16", "高")),
    ((5, 4, 3, 1), ("2.83", "3.87", "11", "中等")),  # V_L = 2: √8 · √15 = √120 = 10.95
]


def test_score_isra_multiplication(db, tmp_path, capsys):
    source = write(tmp_path / "in.csv", [case for case, _ in MULTIPLY])
    assert (
        main(
            [
                "score",
                "isra",
                "--input",
                str(source),
                "--output",
                str(tmp_path / "out.csv"),
                "--method",
                "multiply",
            ]
        )
        == 0
    )
    rows = read(tmp_path / "out.csv")
    got = [(r["likelihood"], r["loss"], r["risk_value"], r["risk_level"]) for r in rows]
    assert got == [expected for _, expected in MULTIPLY]
    assert rows[0]["asset_value"] == "5"  # input columns kept
    assert "已计算 6 行" in capsys.readouterr().out


def test_score_isra_matrix(db, tmp_path):
    source = write(tmp_path / "in.csv", [(5, 4, 3, ""), (1, 1, 1, "")])
    assert (
        main(
            [
                "score",
                "isra",
                "--input",
                str(source),
                "--output",
                str(tmp_path / "out.csv"),
                "--method",
                "matrix",
            ]
        )
        == 0
    )
    rows = read(tmp_path / "out.csv")
    # T=4,V=3 → L=3; Ia=5,V=3 → F=4; L×F → 12 → 中等 (example tables of the isra scheme)
    assert [(r["likelihood"], r["loss"], r["risk_value"], r["risk_level"]) for r in rows] == [
        ("3", "4", "12", "中等"),
        ("1", "1", "1", "很低"),
    ]


def test_bad_rows_reported_and_nothing_written(db, tmp_path, capsys):
    source = write(
        tmp_path / "in.csv", [(5, 4, 3, ""), (6, 1, 1, ""), (3, "x", 2, ""), (2, 2, 2, "")]
    )
    target = tmp_path / "out.csv"
    assert main(["score", "isra", "--input", str(source), "--output", str(target)]) == 1
    err = capsys.readouterr().err
    assert "第 3 行" in err and "asset_value=6" in err
    assert "第 4 行" in err and "threat_frequency='x'" in err
    assert "第 2 行" not in err and "第 5 行" not in err
    assert not target.exists()


def test_missing_column(db, tmp_path, capsys):
    source = write(tmp_path / "in.csv", [(1, 1)], header=("asset_value", "threat_frequency"))
    assert main(["score", "isra", "--input", str(source), "--output", str(tmp_path / "o.csv")]) == 1
    assert "vuln_severity" in capsys.readouterr().err


def test_scheme_check_good_and_bad(db, tmp_path, capsys):
    from fengping.schemes import BUILTIN_DIR

    assert main(["scheme", "check", str(BUILTIN_DIR / "ssra-town.yaml")]) == 0
    bad = tmp_path / "bad.yaml"
    text = (
        (BUILTIN_DIR / "ssra-bureau.yaml")
        .read_text(encoding="utf-8")
        .replace("key: ssra-bureau", "key: my-city", 1)
    )
    bad.write_text(
        text.replace("  - code: A\n", "  - code: A\n    bogus: 1\n", 1), encoding="utf-8"
    )
    assert main(["scheme", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "grades[0]" in err


def test_scheme_list_and_show(db, capsys):
    assert main(["scheme", "list"]) == 0
    out = capsys.readouterr().out
    for key in ("ssra-bureau", "ssra-town", "isra", "case-risk"):
        assert key in out
    assert main(["scheme", "show", "ssra-town", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["key"] == "ssra-town" and len(data["version"]) == 12
    assert main(["scheme", "show", "nope"]) == 1


@pytest.mark.parametrize(
    "key,factors,grade",
    [
        ("ssra-bureau", [(1.0, 1.0), (0.8, 0.8)], "A"),  # mean P·I = 0.82 > 0.64
        ("ssra-bureau", [(0.8, 0.8), (0.8, 0.8)], "B"),  # exactly 0.64 → 中 (bounds inclusive)
        ("ssra-bureau", [(0.6, 0.6), (0.4, 0.2)], "C"),
        ("ssra-town", [(0.4, 0.4), (0.2, 0.6)], "level4"),  # every factor ≤ 0.36 → 四级 无风险
        ("ssra-town", [(0.6, 0.8), (0.2, 0.2)], "level3"),  # mean 0.26 is 低 but one factor is 0.48
        ("ssra-town", [(1.0, 1.0), (1.0, 0.8)], "level1"),
    ],
)
def test_composite_grades_from_scheme_data(key, factors, grade):
    spec = composite_spec(get(key))
    result = score_factors([FactorScore(f"f{i}", p, i_) for i, (p, i_) in enumerate(factors)], spec)
    assert result.grade == grade


def test_scheme_bands_cover_their_domain():
    for key in ("ssra-bureau", "ssra-town", "case-risk"):
        scheme = get(key)
        bands = bands_of(scheme.method.bands)
        assert bands.band(scheme.method.bands.domain.min) == bands.labels[0]
        assert bands.band(scheme.method.bands.domain.max) == bands.labels[-1]
    assert isra_bands(get("isra")).labels == ("很低", "低", "中等", "高", "很高")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_score_isra_reads_chinese_excel_csv(db, tmp_path, encoding):
    # Chinese Excel saves "CSV" in GBK; "CSV UTF-8" with a byte-order mark.
    source = tmp_path / "in.csv"
    source.write_bytes(
        "资产名称,asset_value,threat_frequency,vuln_severity\n核心数据库,5,4,3\n".encode(encoding)
    )
    target = tmp_path / "out.csv"
    assert main(["score", "isra", "--input", str(source), "--output", str(target)]) == 0
    row = read(target)[0]
    assert row["资产名称"] == "核心数据库" and row["risk_level"]


def test_score_isra_refuses_undecodable_csv(db, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_bytes(b"asset_value\n\x81\x20\xff\n")
    assert main(["score", "isra", "--input", str(source), "--output", str(tmp_path / "o.csv")]) == 1
    assert "无法识别文件编码" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["scheme", "list"], ["score", "isra", "--input", "IN", "--output", "OUT"]],
    ids=["scheme-list", "score-isra"],
)
def test_commands_work_on_a_database_not_yet_migrated(tmp_path, argv):
    """Built-in schemes need no database: a fresh data directory lists them and scores
    with them, and one line says what to run to read uploaded schemes too."""
    import os
    import subprocess
    import sys

    source = write(tmp_path / "in.csv", [(5, 4, 3, "")])
    argv = [
        str(source) if a == "IN" else str(tmp_path / "out.csv") if a == "OUT" else a for a in argv
    ]
    env = {
        **os.environ,
        "FENGPING_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite3",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "fengping.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "fengping manage migrate" in done.stderr
    if argv[0] == "scheme":
        assert "ssra-town" in done.stdout and "isra" in done.stdout
    else:
        assert read(tmp_path / "out.csv")[0]["risk_level"] == "中等"
