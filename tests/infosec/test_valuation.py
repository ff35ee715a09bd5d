"""The value of an asset from C/I/A, the 2.1 factors and the business, checked by hand."""

from __future__ import annotations

import pytest

from fengping.infosec.valuation import value_asset
from fengping.schemebook import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheme():
    return registry.get("isra")


def weighted(scheme, c, i, a):
    av = scheme.method.asset_value.model_copy(
        update={
            "default": "weighted",
            "weights": scheme.method.asset_value.weights.model_copy(
                update={"confidentiality": c, "integrity": i, "availability": a}
            ),
        }
    )
    return scheme.model_copy(
        update={"method": scheme.method.model_copy(update={"asset_value": av})}
    )


def test_the_worked_example(scheme):
    # CIA max(4, 3, 2) = 4; (2×4 + 5 + 4 + 5) / (2 + 2 + 1) = 22/5 = 4.4 → 4
    v = value_asset(
        scheme,
        confidentiality=4,
        integrity=3,
        availability=2,
        factors={"mission": 5, "intrinsic": 4},
        business_importance=5,
    )
    assert v.value == 4
    assert v.text == (
        "CIA 取最大值 4；因素 资产的使命 5、资产本身的价值 4；业务重要性 5；"
        "(2×4+5+4+5)/(2+2+1) = 22/5 = 4.4 → 4"
    )
    assert v.basis["numerator"] == "22" and v.basis["denominator"] == "5"
    assert v.basis["factors"] == {"mission": 5, "intrinsic": 4}


def test_nothing_but_cia(scheme):
    v = value_asset(scheme, confidentiality=2, integrity=5, availability=1)
    assert v.value == 5
    assert v.text == "CIA 取最大值 5；未评定其他因素；→ 5"


def test_a_half_rounds_up(scheme):
    # (2×2 + 3 + 3) / 4 = 10/4 = 2.5 → 3 (Python's round would give 2)
    v = value_asset(
        scheme,
        confidentiality=2,
        integrity=1,
        availability=1,
        factors={"reach": 3},
        business_importance=3,
    )
    assert v.value == 3 and v.basis["exact"] == "2.5"


def test_a_third_rounds_down_and_unrated_factors_do_not_count(scheme):
    # (2×3 + 4) / 3 = 10/3 = 3.33… → 3; the blank factor is left out
    v = value_asset(
        scheme,
        confidentiality=3,
        integrity=3,
        availability=3,
        factors={"dependence": 4, "mission": None},
    )
    assert v.value == 3 and v.basis["exact"] == "3.33…"
    assert "(2×3+4)/(2+1) = 10/3" in v.text


def test_low_factors_pull_a_high_cia_down(scheme):
    # (2×5 + 1+1+1+1+1+1) / (2 + 6) = 16/8 = 2
    v = value_asset(
        scheme,
        confidentiality=5,
        integrity=5,
        availability=5,
        factors={
            c: 1 for c in ("mission", "intrinsic", "importance", "dependence", "location", "reach")
        },
    )
    assert v.value == 2


def test_weighted_cia(scheme):
    # equal weights: (4+3+3)/3 = 3.33… → 3
    v = value_asset(weighted(scheme, 1, 1, 1), confidentiality=4, integrity=3, availability=3)
    assert v.value == 3 and v.basis["cia"] == 3
    assert v.text.startswith("CIA 加权 (4+3+3)/3 = 3.33… → 3")
    # 0.5·3 + 0.5·4 = 3.5 → 4
    v = value_asset(weighted(scheme, 0.5, 0.5, 0), confidentiality=3, integrity=4, availability=5)
    assert v.basis["cia"] == 4
    assert "CIA 加权 (0.5×3+0.5×4+0×5)/1 = 3.5 → 4" in v.text


@pytest.mark.parametrize(
    "kw",
    [
        {"confidentiality": 6},
        {"factors": {"beauty": 3}},
        {"factors": {"mission": 0}},
        {"business_importance": 9},
    ],
)
def test_out_of_range_is_refused(scheme, kw):
    args = {"confidentiality": 3, "integrity": 3, "availability": 3, **kw}
    with pytest.raises(ValueError):
        value_asset(scheme, **args)
