"""The value of an asset (篇2 2.1), by the scheme.

1. C/I/A → one value by `method.asset_value`: the maximum (default) or the weighted mean
   of the three, rounded half up (`fengping.scoring.gbt20984.asset_value_from_cia`).
2. That value, the 2.1 factors that are rated (使命, 本身价值, 重要程度, 依赖程度, 部署位置,
   影响范围; 1–5 each) and the importance of the business the asset carries are averaged
   with the weights of `infosec.asset_valuation`, exactly (fractions), and rounded half up
   once: value = round_half_up((w_cia·CIA + w_f·Σ factors + w_b·business) / (w_cia +
   w_f·n + w_b)). An unrated factor, and a business that is not named, do not count.

The result carries its calculation as data and as a sentence a reader can check by hand
("CIA 取最大值 4；因素 …；业务重要性 5；(2×4+…)/5 = 4.4 → 4"), stored in `Asset.value_basis`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from fengping.schemes.model import Scheme
from fengping.scoring import asset_value_from_cia
from fengping.scoring._exact import round_half_up, to_fraction

LEVELS = range(1, 6)


@dataclass(frozen=True)
class Valuation:
    value: int
    basis: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.basis.get("text", ""))


def _num(x: Fraction) -> str:
    """A weight or a sum as a reader writes it: 2, 0.5, 4.4, 4.33."""
    if x.denominator == 1:
        return str(x.numerator)
    text = f"{float(x):.2f}".rstrip("0").rstrip(".")
    exact = Fraction(text)
    return text if exact == x else f"{text}…"


def _term(weight: Fraction, values: list[int]) -> str:
    """w×x, or w×(x+y), or x+y when w is 1."""
    inner = "+".join(str(v) for v in values)
    if weight == 1:
        return inner
    if len(values) == 1:
        return f"{_num(weight)}×{inner}"
    return f"{_num(weight)}×({inner})"


def factor_codes(scheme: Scheme) -> list[tuple[str, str]]:
    return [(f.code, f.label) for f in scheme.infosec.asset_valuation.factors]  # type: ignore[union-attr]


def value_asset(
    scheme: Scheme,
    *,
    confidentiality: int,
    integrity: int,
    availability: int,
    factors: Mapping[str, int | None] | None = None,
    business_importance: int | None = None,
) -> Valuation:
    """The asset's value 1–5 and how it was reached. Raises ValueError on a rating outside
    1–5 or a factor the scheme does not name."""
    rule = scheme.method.asset_value  # type: ignore[union-attr]
    valuation = scheme.infosec.asset_valuation  # type: ignore[union-attr]
    labels = dict(factor_codes(scheme))
    for name, rating in (
        ("confidentiality", confidentiality),
        ("integrity", integrity),
        ("availability", availability),
    ):
        if rating not in LEVELS:
            raise ValueError(f"{name} must be 1–5, got {rating!r}")
    # 1. C/I/A
    if rule.default == "weighted":
        weights = (rule.weights.confidentiality, rule.weights.integrity, rule.weights.availability)
        cia = asset_value_from_cia(confidentiality, integrity, availability, weights)
        w = [to_fraction(x, "C/I/A weight") for x in weights]
        total = sum(w, Fraction(0))
        exact = (w[0] * confidentiality + w[1] * integrity + w[2] * availability) / total
        cia_text = _("CIA 加权 (%(terms)s)/%(total)s = %(exact)s → %(v)s") % {
            "terms": "+".join(
                _term(wx, [x])
                for wx, x in zip(w, (confidentiality, integrity, availability), strict=True)
            ),
            "total": _num(total),
            "exact": _num(exact),
            "v": cia,
        }
    else:
        cia = asset_value_from_cia(confidentiality, integrity, availability)
        cia_text = _("CIA 取最大值 %(v)s") % {"v": cia}
    # 2. the factors and the business
    rated: dict[str, int] = {}
    for code, given in (factors or {}).items():
        if given is None or given == "":
            continue
        rating = given
        if code not in labels:
            raise ValueError(f"unknown factor {code!r}")
        if rating not in LEVELS:
            raise ValueError(f"factor {code} must be 1–5, got {rating!r}")
        rated[code] = int(rating)
    if business_importance is not None and business_importance not in LEVELS:
        raise ValueError(f"business importance must be 1–5, got {business_importance!r}")
    cw = to_fraction(valuation.cia_weight, "cia_weight")
    fw = to_fraction(valuation.factor_weight, "factor_weight")
    bw = to_fraction(valuation.business_weight, "business_weight")
    ordered = [(code, rated[code]) for code in labels if code in rated]
    numerator = cw * cia
    denominator = cw
    terms = [_term(cw, [cia])]
    shown: list[str] = [_num(cw)]
    if ordered and fw:
        numerator += fw * sum(v for _c, v in ordered)
        denominator += fw * len(ordered)
        terms.append(_term(fw, [v for _c, v in ordered]))
        shown.append(_num(fw * len(ordered)))
    business = business_importance if business_importance is not None and bw else None
    if business is not None:
        numerator += bw * business
        denominator += bw
        terms.append(_term(bw, [business]))
        shown.append(_num(bw))
    exact = numerator / denominator
    value = max(1, min(5, round_half_up(exact)))
    parts = [cia_text]
    if ordered:
        parts.append(
            _("因素 %(list)s") % {"list": "、".join(f"{labels[c]} {v}" for c, v in ordered)}
            + ("" if fw else _("（权重为 0，不计入）"))
        )
    else:
        parts.append(_("未评定其他因素"))
    if business_importance is not None:
        parts.append(
            _("业务重要性 %(v)s") % {"v": business_importance}
            + ("" if bw else _("（权重为 0，不计入）"))
        )
    if len(terms) > 1:
        calc = "({})/{} = {}/{} = {} → {}".format(
            "+".join(terms),
            "(" + "+".join(shown) + ")" if len(shown) > 1 else shown[0],
            _num(numerator),
            _num(denominator),
            _num(exact),
            value,
        )
    else:
        calc = f"→ {value}"
    text = "；".join(parts) + "；" + calc
    basis = {
        "method": rule.default,
        "cia": cia,
        "confidentiality": confidentiality,
        "integrity": integrity,
        "availability": availability,
        "factors": dict(ordered),
        "business": business_importance,
        "weights": {"cia": _num(cw), "factor": _num(fw), "business": _num(bw)},
        "numerator": _num(numerator),
        "denominator": _num(denominator),
        "exact": _num(exact),
        "value": value,
        "text": text,
    }
    return Valuation(value, basis)
