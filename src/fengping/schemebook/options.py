"""What lists and filters read from the social-stability schemes — scheme names,
categories, steps, grades, decisions — gathered in one pass over the registry and kept until the
registry's version changes (see core.listing.versioned), instead of each page scanning
every scheme on every request."""

from __future__ import annotations

from dataclasses import dataclass, field

from fengping.core import listing

from . import registry


@dataclass(frozen=True)
class SchemeOptions:
    schemes: list[tuple[str, str]] = field(default_factory=list)
    categories: list[tuple[str, str]] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)
    grades: list[tuple[str, str]] = field(default_factory=list)
    decisions: list[tuple[str, str]] = field(default_factory=list)
    # (kind, scheme key, code) -> label, kind being "step" or "grade"
    labels: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def label(self, kind: str, scheme_key: str, code: str) -> str | None:
        return self.labels.get((kind, scheme_key, code))

    def scheme_name(self, key: str) -> str:
        return dict(self.schemes).get(key, key)


@listing.versioned(registry.version)
def ssra_options() -> SchemeOptions:
    """Options of every social-stability scheme; the first label of a code wins, in the
    registry's order (sorted by key)."""
    schemes: dict[str, str] = {}
    categories: dict[str, str] = {}
    steps: dict[str, str] = {}
    grades: dict[str, str] = {}
    decisions: dict[str, str] = {}
    labels: dict[tuple[str, str, str], str] = {}
    for entry in registry.entries():
        scheme = entry.scheme
        if scheme.kind != "ssra":
            continue
        schemes[scheme.key] = scheme.name
        for group in scheme.taxonomy.groups:
            for cat in group.categories:
                categories.setdefault(cat.code, cat.label)
        for s in scheme.procedure.steps:
            steps.setdefault(s.code, s.label)
            labels["step", scheme.key, s.code] = s.label
        for g in scheme.grades:
            grades.setdefault(g.code, g.label)
            labels["grade", scheme.key, g.code] = g.label
        for d in scheme.decisions:
            decisions.setdefault(d.code, d.label)
    return SchemeOptions(
        schemes=list(schemes.items()),
        categories=list(categories.items()),
        steps=list(steps.items()),
        grades=list(grades.items()),
        decisions=list(decisions.items()),
        labels=labels,
    )
