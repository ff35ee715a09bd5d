"""Risk matrix from plain data."""

import pytest

from fengping.scoring import SSRA_BANDS, RiskMatrix

LABELS = [
    ["低", "低", "中"],
    ["低", "中", "高"],
    ["中", "高", "高"],
]


def test_lookup_zero_based() -> None:
    matrix = RiskMatrix(LABELS)
    assert matrix.shape == (3, 3)
    assert matrix.level(0, 0) == "低"
    assert matrix.level(1, 2) == "高"
    assert matrix.level(2, 0) == "中"


def test_lookup_one_based_any_size() -> None:
    matrix = RiskMatrix([[1, 2, 3, 4], [2, 4, 6, 8]], base=1)
    assert matrix.shape == (2, 4)
    assert matrix.level(2, 4) == 8
    with pytest.raises(ValueError, match="impact index 0 is out of range 1–4"):
        matrix.level(1, 0)


@pytest.mark.parametrize(("p", "i"), [(3, 0), (0, 3), (-1, 0)])
def test_out_of_range_index(p: int, i: int) -> None:
    with pytest.raises(ValueError, match="out of range 0–2 for this 3×3 matrix"):
        RiskMatrix(LABELS).level(p, i)


def test_ragged_matrix_is_refused() -> None:
    with pytest.raises(ValueError, match="ragged: row 1 has 2 cells, row 0 has 3"):
        RiskMatrix([["低", "低", "中"], ["低", "中"]])


@pytest.mark.parametrize("rows", [[], [[]]])
def test_empty_matrix_is_refused(rows: list[list[str]]) -> None:
    with pytest.raises(ValueError, match="at least one"):
        RiskMatrix(rows)


def test_bad_cell_is_refused() -> None:
    with pytest.raises(ValueError, match=r"cell \[0\]\[1\]"):
        RiskMatrix([["低", 0.5]])  # type: ignore[list-item]


def test_bool_index_is_refused() -> None:
    with pytest.raises(ValueError, match="integer"):
        RiskMatrix(LABELS).level(True, 0)


def test_monotonic_check() -> None:
    assert RiskMatrix(LABELS).is_monotonic(SSRA_BANDS.labels.index)
    assert not RiskMatrix([["高", "低"]]).is_monotonic(SSRA_BANDS.labels.index)
    assert RiskMatrix([[1, 2], [2, 3]]).is_monotonic()
    assert not RiskMatrix([[1, 2], [0, 3]]).is_monotonic()
    with pytest.raises(ValueError, match="rank"):
        RiskMatrix(LABELS).is_monotonic()
