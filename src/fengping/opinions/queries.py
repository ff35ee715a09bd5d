"""Reads for 征求意见: scoped lists and the opinion statistics.

`matter_opinion_summary(matter)` is the contract the assessment and report code call;
its name and fields stay stable. Every figure is aggregated in SQL: the number of queries
does not grow with the number of responses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from fengping.matters.models import Matter, MatterStatus
from fengping.org import access
from fengping.schemebook import registry
from fengping.schemes.model import MajorityRule, MajorityVerdict

from . import keyword_index, keywords
from .models import (
    SCALE_MAX,
    SCALE_MIN,
    Activity,
    ActivityKind,
    AnswerTally,
    Comment,
    CommentChannel,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    ResponseTally,
    Stance,
    TallyKind,
)

KEYWORD_LIMIT = keywords.KEYWORD_LIMIT
top_keywords = keywords.top_keywords


def visible_matters(user: Any, need: str = "view") -> QuerySet[Matter]:
    return access.visible(user, Matter.objects.all(), need)  # type: ignore[arg-type]


DECIDED_STATUSES = (MatterStatus.DECIDED, MatterStatus.IMPLEMENTING, MatterStatus.CLOSED)


def public_matters() -> QuerySet[Matter]:
    """Matters open for public consultation now. A confidential matter never appears
    (篇3 二(四)), even if it was opened before being marked confidential; nor does one
    whose consultation step is complete or that has been decided."""
    return (
        Matter.objects.filter(
            consultation_open=True, confidential=False, consultation_closed_at__isnull=True
        )
        .filter(
            Q(consultation_until__isnull=True) | Q(consultation_until__gte=timezone.localdate())
        )
        .exclude(status__in=DECIDED_STATUSES)
        .select_related("department")
    )


def public_decided_matters() -> QuerySet[Matter]:
    """篇3 二(四): 除涉及国家秘密、商业机密和个人隐私的事项外，重大决策应当依法向社会公开 —
    decided matters that are not confidential, newest decision first."""
    return (
        Matter.objects.filter(confidential=False, decisions__isnull=False)
        .annotate(last_decided=Max("decisions__decided_on"))
        .select_related("department")
        .order_by("-last_decided", "-id")
    )


@dataclass(frozen=True)
class PublicFigures:
    """The consultation's figures shown on the public page (no personal data)."""

    respondents: int = 0
    support: int = 0
    oppose: int = 0
    neutral: int = 0
    activities: int = 0
    comments: int = 0
    queries: int = 0
    answered: int = 0
    revisions: int = 0

    @property
    def with_stance(self) -> int:
        return self.support + self.oppose + self.neutral

    @property
    def support_rate(self) -> float | None:
        return _rate(self.support, self.with_stance)

    @property
    def oppose_rate(self) -> float | None:
        return _rate(self.oppose, self.with_stance)


def public_figures(matters: Sequence[Matter]) -> dict[int, PublicFigures]:
    """Figures of several matters in three GROUP BY queries (the responses' from their
    counters)."""
    ids = [m.pk for m in matters]
    stance: dict[int, Counter[str]] = {}
    for row in (
        ResponseTally.objects.filter(questionnaire__matter__in=ids)
        .order_by()
        .values("questionnaire__matter", "stance")
        .annotate(n=Sum("count"))
    ):
        stance.setdefault(row["questionnaire__matter"], Counter())[row["stance"]] += row["n"]
    acts = dict(
        Activity.objects.filter(matter__in=ids)
        .order_by()
        .values("matter")
        .annotate(n=Count("id"))
        .values_list("matter", "n")
    )
    comments = {
        row["matter"]: row
        for row in Comment.objects.filter(matter__in=ids)
        .order_by()
        .values("matter")
        .annotate(
            n=Count("id"),
            queries=Count("id", filter=Q(is_query=True)),
            answered=Count("id", filter=Q(replied_at__isnull=False)),
            revisions=Count("id", filter=Q(led_to_revision=True)),
        )
    }
    out = {}
    for pk in ids:
        by = stance.get(pk, Counter())
        c = comments.get(pk, {})
        out[pk] = PublicFigures(
            respondents=sum(by.values()),
            support=by.get(Stance.SUPPORT, 0),
            oppose=by.get(Stance.OPPOSE, 0),
            neutral=by.get(Stance.NEUTRAL, 0),
            activities=acts.get(pk, 0),
            comments=c.get("n", 0),
            queries=c.get("queries", 0),
            answered=c.get("answered", 0),
            revisions=c.get("revisions", 0),
        )
    return out


PUBLIC_ANSWERS_PER_MATTER = 10


def public_answers(matters: Sequence[Matter]) -> dict[int, list[Comment]]:
    """How the public's concerns were answered: the replied comments (质疑 first) and the
    revisions they led to — the group, the concern, the reply; never the author's name."""
    out: dict[int, list[Comment]] = {}
    rows = Comment.objects.filter(
        matter__in=[m.pk for m in matters], replied_at__isnull=False
    ).order_by("matter", "-is_query", "-led_to_revision", "created_at", "id")
    for c in rows.only(
        "matter",
        "author_group",
        "content",
        "reply",
        "is_query",
        "led_to_revision",
        "revision_note",
        "replied_at",
        "created_at",
        "channel",
    ):
        kept = out.setdefault(c.matter_id, [])
        if len(kept) < PUBLIC_ANSWERS_PER_MATTER:
            kept.append(c)
    return out


def public_questionnaires(matters: Iterable[Matter]) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(
        matter__in=list(matters),
        matter__confidential=False,
        status=QuestionnaireStatus.PUBLISHED,
        closes_at__gt=timezone.now(),
    ).order_by("closes_at", "id")


def _count_of(model: Any, count: Any = None) -> Coalesce:
    """The number of `model` rows of each questionnaire (or the sum of their `count`), as
    a correlated subquery on its foreign-key index (a join of responses × questions
    counted DISTINCT grows with both)."""
    rows = (
        model.objects.filter(questionnaire=OuterRef("pk"))
        .order_by()
        .values("questionnaire")
        .annotate(n=count or Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def questionnaires_of(matter: Matter) -> QuerySet[Questionnaire]:
    """The matter's questionnaires with `response_count` (from the counters) and
    `question_count`."""
    return matter.questionnaires.annotate(
        response_count=_count_of(ResponseTally, Sum("count")),
        question_count=_count_of(Question),
    ).order_by("-created_at", "-id")


def with_counts(questionnaires: QuerySet[Questionnaire]) -> QuerySet[Questionnaire]:
    """Questionnaires (of a matter or a system) with `response_count` and `question_count`."""
    return questionnaires.annotate(
        response_count=_count_of(ResponseTally, Sum("count")),
        question_count=_count_of(Question),
    ).order_by("-created_at", "-id")


def response_count(matter: Matter, **filters: Any) -> int:
    """The responses to the matter's questionnaires (optionally of one group …), from the
    counters: one small query whatever the number of responses."""
    rows = ResponseTally.objects.filter(questionnaire__matter=matter, **filters)
    return rows.aggregate(n=Sum("count"))["n"] or 0


# ---------------------------------------------------------------- statistics


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class StanceCounts:
    """Counts and rates (fractions 0–1; None when nobody answered the 态度 question)."""

    respondents: int = 0  # all responses (of this group)
    support: int = 0
    oppose: int = 0
    neutral: int = 0

    @property
    def with_stance(self) -> int:
        return self.support + self.oppose + self.neutral

    @property
    def support_rate(self) -> float | None:
        return _rate(self.support, self.with_stance)

    @property
    def oppose_rate(self) -> float | None:
        return _rate(self.oppose, self.with_stance)

    @property
    def neutral_rate(self) -> float | None:
        return _rate(self.neutral, self.with_stance)


@dataclass(frozen=True)
class GroupStats(StanceCounts):
    group: str = ""


@dataclass(frozen=True)
class ChannelStats(StanceCounts):
    """The stances heard through one channel (问卷调查, one kind of activity, or the
    registered comments), optionally of one group. ``respondents`` includes 未表态."""

    channel: str = ""  # "questionnaire", an ActivityKind value, or "comments"
    label: str = ""
    group: str = ""

    @property
    def undeclared(self) -> int:
        return self.respondents - self.with_stance


QUESTIONNAIRE_CHANNEL = "questionnaire"
COMMENTS_CHANNEL = "comments"


def channel_labels() -> dict[str, str]:
    kinds = {k: str(label) for k, label in ActivityKind.choices}
    return {QUESTIONNAIRE_CHANNEL: _("问卷调查"), **kinds, COMMENTS_CHANNEL: _("登记的意见")}


@dataclass(frozen=True)
class OpinionSummary:
    """What the public thought of a matter, across all its questionnaires and comments.

    Fields (stable — the assessment and report code read them):
      respondents        int   responses received (online + paper), all questionnaires
      stance_respondents int   of which answered the 态度 question
      support_rate       float | None   support / stance_respondents, a fraction 0–1
      oppose_rate        float | None   oppose / stance_respondents
      neutral_rate       float | None   neutral / stance_respondents
                         (all three None when there is no stance data)
      support, oppose, neutral   int    the counts behind the rates
      per_group          list[GroupStats]  one per respondent group with responses, in the
                         questionnaires' group order; each has group, respondents, support,
                         oppose, neutral and support_rate / oppose_rate / neutral_rate
      top_keywords       list[tuple[str, int]]  the most frequent words in free-text answers
                         and comments: (word, number of texts that contain it), most first,
                         as extracted by the job worker when the texts arrived
      keywords_pending   int   texts that arrived and are not extracted yet
      comments           int   comments registered (any channel)
      queries            int   of which are 质疑
      unanswered_queries int   质疑 without a reply yet (篇3 六(三) 及时回复)
      revisions          int   comments that led to a revision of the matter (修订完善)
      activities         dict[str, int]  consultation activities by ActivityKind value
                         (走访、抽样调查、公示、听证、座谈、专家论证、征求上级主管部门意见)
    Every channel (the fields above are the questionnaires'; the majority rule reads these):
      channels           list[ChannelStats]  one per channel that heard anyone: 问卷调查, each
                         activity kind (its participants' stance counts), 登记的意见 (each
                         comment's stance); respondents, support, oppose, neutral, undeclared
      channel_groups     list[ChannelStats]  the same split by group (group "" = 未注明)
      by_group           list[ChannelStats]  every channel added up, per group
      all_channels       ChannelStats        every channel added up
    """

    respondents: int = 0
    stance_respondents: int = 0
    support: int = 0
    oppose: int = 0
    neutral: int = 0
    support_rate: float | None = None
    oppose_rate: float | None = None
    neutral_rate: float | None = None
    per_group: list[GroupStats] = field(default_factory=list)
    top_keywords: list[tuple[str, int]] = field(default_factory=list)
    keywords_pending: int = 0
    comments: int = 0
    queries: int = 0
    unanswered_queries: int = 0
    revisions: int = 0
    activities: dict[str, int] = field(default_factory=dict)
    channels: list[ChannelStats] = field(default_factory=list)
    channel_groups: list[ChannelStats] = field(default_factory=list)
    by_group: list[ChannelStats] = field(default_factory=list)
    all_channels: ChannelStats = field(default_factory=ChannelStats)

    @property
    def has_stance(self) -> bool:
        return self.stance_respondents > 0

    @property
    def has_channel_stance(self) -> bool:
        return self.all_channels.with_stance > 0


def _stance_table(matter: Matter) -> dict[str, dict[str, int]]:
    """{group: {stance or "": count}} of the matter's responses, from the counters."""
    table: dict[str, dict[str, int]] = {}
    for row in (
        ResponseTally.objects.filter(questionnaire__matter=matter, count__gt=0)
        .order_by()
        .values("group", "stance")
        .annotate(n=Sum("count"))
    ):
        table.setdefault(row["group"], {})[row["stance"]] = row["n"]
    return table


def _counts(by_stance: dict[str, int]) -> dict[str, int]:
    return {
        "respondents": sum(by_stance.values()),
        "support": by_stance.get(Stance.SUPPORT, 0),
        "oppose": by_stance.get(Stance.OPPOSE, 0),
        "neutral": by_stance.get(Stance.NEUTRAL, 0),
    }


def _group_order(matter: Matter) -> list[str]:
    order: list[str] = []
    for groups in matter.questionnaires.order_by("created_at", "id").values_list(
        "groups", flat=True
    ):
        for g in groups or []:
            if g not in order:
                order.append(g)
    return order


def _add(cell: dict[str, int], support: int, oppose: int, neutral: int, total: int) -> None:
    cell["support"] = cell.get("support", 0) + support
    cell["oppose"] = cell.get("oppose", 0) + oppose
    cell["neutral"] = cell.get("neutral", 0) + neutral
    cell["respondents"] = cell.get("respondents", 0) + total


def _channel_breakdown(
    matter: Matter, table: dict[str, dict[str, int]], group_order: list[str]
) -> dict[str, Any]:
    """Every channel's stance counts, by group: three GROUP BY queries in all."""
    cells: dict[tuple[str, str], dict[str, int]] = {}
    for group, by_stance in table.items():
        c = _counts(by_stance)
        _add(
            cells.setdefault((QUESTIONNAIRE_CHANNEL, group), {}),
            c["support"],
            c["oppose"],
            c["neutral"],
            c["respondents"],
        )
    for row in (
        Activity.objects.filter(matter=matter)
        .order_by()
        .values("kind", "group")
        .annotate(
            s=Sum("support_count"),
            o=Sum("oppose_count"),
            n=Sum("neutral_count"),
            u=Sum("undeclared_count"),
        )
    ):
        total = row["s"] + row["o"] + row["n"] + row["u"]
        if total:
            _add(
                cells.setdefault((row["kind"], row["group"]), {}),
                row["s"],
                row["o"],
                row["n"],
                total,
            )
    for row in (
        Comment.objects.filter(matter=matter)
        .order_by()
        .values("author_group", "stance")
        .annotate(n=Count("id"))
    ):
        st, n = row["stance"], row["n"]
        _add(
            cells.setdefault((COMMENTS_CHANNEL, row["author_group"]), {}),
            n if st == Stance.SUPPORT else 0,
            n if st == Stance.OPPOSE else 0,
            n if st == Stance.NEUTRAL else 0,
            n,
        )
    labels = channel_labels()
    channel_order = list(labels)
    groups_seen = {g for _c, g in cells}
    order = [g for g in group_order if g in groups_seen]
    order += sorted(g for g in groups_seen if g not in order and g)
    if "" in groups_seen:
        order.append("")

    def stats(channel: str, group: str, cell: dict[str, int]) -> ChannelStats:
        return ChannelStats(
            channel=channel, label=labels.get(channel, channel), group=group, **cell
        )

    keys = sorted(cells, key=lambda k: (channel_order.index(k[0]), order.index(k[1])))
    channel_groups = [stats(c, g, cells[(c, g)]) for c, g in keys]
    per_channel: dict[str, dict[str, int]] = {}
    per_group: dict[str, dict[str, int]] = {}
    pooled: dict[str, int] = {}
    for (c, g), cell in cells.items():
        for target in (per_channel.setdefault(c, {}), per_group.setdefault(g, {}), pooled):
            _add(target, cell["support"], cell["oppose"], cell["neutral"], cell["respondents"])
    return {
        "channels": [stats(c, "", per_channel[c]) for c in channel_order if c in per_channel],
        "channel_groups": channel_groups,
        "by_group": [stats("", g, per_group[g]) for g in order],
        "all_channels": stats("", "", pooled) if pooled else ChannelStats(),
    }


def matter_opinion_summary(matter: Matter) -> OpinionSummary:
    """The opinion summary of one matter (see `OpinionSummary` for the fields).

    The caller has already checked access to `matter`. Runs a fixed number of queries
    whatever the number of responses or comments.
    """
    table = _stance_table(matter)
    total: Counter[str] = Counter()
    for by_stance in table.values():
        total.update(by_stance)
    overall = _counts(dict(total))
    order = _group_order(matter)
    groups = sorted(table, key=lambda g: (order.index(g) if g in order else len(order), g))
    per_group = [GroupStats(group=g, **_counts(table[g])) for g in groups]
    stance_n = overall["support"] + overall["oppose"] + overall["neutral"]
    comment_counts = Comment.objects.filter(matter=matter).aggregate(
        comments=Count("id"),
        queries=Count("id", filter=Q(is_query=True)),
        unanswered=Count("id", filter=Q(is_query=True, replied_at__isnull=True)),
        revisions=Count("id", filter=Q(led_to_revision=True)),
    )
    activities = {
        row["kind"]: row["n"]
        for row in Activity.objects.filter(matter=matter)
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
    }
    return OpinionSummary(
        respondents=overall["respondents"],
        stance_respondents=stance_n,
        support=overall["support"],
        oppose=overall["oppose"],
        neutral=overall["neutral"],
        support_rate=_rate(overall["support"], stance_n),
        oppose_rate=_rate(overall["oppose"], stance_n),
        neutral_rate=_rate(overall["neutral"], stance_n),
        per_group=per_group,
        top_keywords=[(k.word, k.count) for k in keyword_index.top(matter)],
        keywords_pending=keyword_index.pending(matter),
        comments=comment_counts["comments"],
        queries=comment_counts["queries"],
        unanswered_queries=comment_counts["unanswered"],
        revisions=comment_counts["revisions"],
        activities={k: activities.get(k, 0) for k in ActivityKind.values},
        **_channel_breakdown(matter, table, order),
    )


def matter_scheme(matter: Matter) -> Any:
    """The frozen scheme of the matter's latest assessment, or the scheme's current version
    before one (None when it is gone): the scheme whose passages the matter's pages quote."""
    assessment = matter.assessments.order_by("-started_at").first()  # type: ignore[attr-defined]
    if assessment is not None:
        return assessment.scheme
    try:
        return registry.get(matter.scheme_key)
    except LookupError:
        return None


@dataclass(frozen=True)
class MajorityFinding:
    """A breach of the scheme's majority rule, with the figures that show it."""

    rule: MajorityRule
    verdict: MajorityVerdict
    figures: str  # the channels over the threshold and the pooled share, in words

    @property
    def threshold(self) -> float:
        return self.rule.threshold

    @property
    def quote(self) -> str:
        return self.rule.quote


def _figure(label: str, c: StanceCounts) -> str:
    return _("%(c)s反对 %(o)s/%(n)s 人（%(r).1f%%）") % {
        "c": label,
        "o": c.oppose,
        "n": c.with_stance,
        "r": (c.oppose_rate or 0) * 100,
    }


def combine_text(rule: MajorityRule) -> str:
    """How the scheme combines the channels, in words."""
    if rule.combine == "pooled":
        return _("各渠道合计计算")
    return _("各渠道合计及每一渠道单独计算，单一渠道须有不少于 %(n)s 人表明态度") % {
        "n": rule.min_channel_stated
    }


def majority_figures(rule: MajorityRule, summary: OpinionSummary) -> str:
    """The figures behind the verdict: each channel over the threshold, then the total."""
    verdict = rule.verdict(summary)
    parts = [_figure(ch.label, ch) for ch in verdict.channels]
    parts.append(_figure(_("各渠道合计"), summary.all_channels))
    return "；".join(parts)


def majority_check(rule: MajorityRule | None, summary: OpinionSummary) -> MajorityFinding | None:
    """``rule.breached`` with its figures, or None when not breached (or no rule)."""
    if rule is None or not rule.breached(summary):
        return None
    return MajorityFinding(rule, rule.verdict(summary), majority_figures(rule, summary))


def majority_rule_of(matter: Matter) -> MajorityRule | None:
    """The majority rule of the frozen scheme of the matter's latest assessment, or of the
    scheme's current version before one."""
    scheme = matter_scheme(matter)
    return scheme.majority_rule if scheme is not None else None


def majority_breach(matter: Matter, summary: OpinionSummary) -> MajorityFinding | None:
    """The scheme's majority rule when the share opposed breaches it, else None — the same
    `MajorityRule.breached` the decision refusals use."""
    return majority_check(majority_rule_of(matter), summary)


# ---------------------------------------------------------------- keywords
# The keyword function itself is pure and lives in `keywords.py` (POS filter, stop words and
# the domain dictionary shipped as data); these are the matter-level reads around it.


@dataclass
class KeywordEvidence:
    """A keyword with the opinions behind it: (source label, text) pairs."""

    word: str
    count: int
    domain: bool
    texts: list[tuple[str, str]]  # the first few (keyword_index.EVIDENCE_PER_WORD)

    @property
    def more(self) -> int:
        """Texts mentioning the word beyond those shown."""
        return max(self.count - len(self.texts), 0)


def keyword_evidence(matter: Matter, limit: int = KEYWORD_LIMIT) -> list[KeywordEvidence]:
    """群众关注的主要问题 with the first free-text answers and comments that mention each:
    the counts the job worker keeps and the texts kept with them (three queries, whatever
    the number of keywords or opinions)."""
    from django.utils.translation import gettext as _

    ranked = keyword_index.top(matter, limit)
    behind = keyword_index.evidence(ranked)
    channels = dict(CommentChannel.choices)
    out = []
    for k in ranked:
        texts: list[tuple[str, str]] = []
        for answer_id, answer_text, title, channel, content in behind.get(k.word, []):
            if answer_id:
                texts.append((_("问卷“%(t)s”") % {"t": title}, answer_text))
            else:
                texts.append((str(channels.get(channel, channel)), content))
        out.append(KeywordEvidence(k.word, k.count, k.domain, texts))
    return out


# ---------------------------------------------------------------- per questionnaire


@dataclass
class QuestionStats:
    question: Question
    number: int
    answered: int = 0
    # (label, count, share of respondents 0–1) for choice questions; (score, count, share) for scales
    rows: list[tuple[str, int, float]] = field(default_factory=list)
    mean: float | None = None


def questionnaire_stats(qn: Questionnaire) -> tuple[int, list[QuestionStats]]:
    """(responses, per-question distributions) in three queries, from the counters."""
    questions = list(qn.questions.all())
    responses = ResponseTally.objects.filter(questionnaire=qn).aggregate(n=Sum("count"))["n"] or 0
    answered: dict[int, int] = {}
    choice_counts: dict[tuple[int, int], int] = {}
    scale_counts: dict[tuple[int, int], int] = {}
    for question, kind, value, n in AnswerTally.objects.filter(
        question__in=[q.pk for q in questions]
    ).values_list("question_id", "kind", "value", "count"):
        if kind == TallyKind.ANSWERED:
            answered[question] = n
        elif kind == TallyKind.CHOICE:
            choice_counts[(question, value)] = n
        else:
            scale_counts[(question, value)] = n
    stats: list[QuestionStats] = []
    for number, q in enumerate(questions, start=1):
        s = QuestionStats(q, number, answered.get(q.pk, 0))
        base = responses or 1
        if q.has_choices:
            s.rows = [
                (label, choice_counts.get((q.pk, i), 0), choice_counts.get((q.pk, i), 0) / base)
                for i, label in enumerate(q.choices)
            ]
        elif q.kind == QuestionKind.SCALE:
            counts = [(v, scale_counts.get((q.pk, v), 0)) for v in range(SCALE_MIN, SCALE_MAX + 1)]
            s.rows = [(str(v), n, n / base) for v, n in counts]
            n_total = sum(n for _v, n in counts)
            s.mean = sum(v * n for v, n in counts) / n_total if n_total else None
        stats.append(s)
    return responses, stats
