"""Information systems and everything assessed about them (篇2).

What lives where:

* the **system's inventory** is kept between assessments: business assets, system and
  component assets with their addresses, security incidents, vulnerabilities (from
  scanners, checklists and audits, each with a stable key), scan imports and 安全整改
  tasks;
* an **assessment** (`SystemAssessment`, a procedure run of an isra scheme) holds what is
  judged at one time: threat ratings, checklist answers (vulnerability checklists of 2.3
  and existing-measure checklists of 3.1–3.4), the risk scenarios computed from them, the
  decisions on each risk and the recommendations.

Every row is scoped through the system's department (`org.access`).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengping.org.models import Department, Scoped
from fengping.procedure.models import Run, StepRecordBase

SYSTEM_PATH = "system__department__path"
ASSESSMENT_PATH = "assessment__system__department__path"

LEVEL_CHOICES = [(n, str(n)) for n in range(1, 6)]


class ProtectionLevel(models.IntegerChoices):
    """等级保护 level of a system (GB/T 22239)."""

    FIRST = 1, _("第一级")
    SECOND = 2, _("第二级")
    THIRD = 3, _("第三级")
    FOURTH = 4, _("第四级")
    FIFTH = 5, _("第五级")


class System(Scoped):
    """An information system: the subject assessed (篇2 2.1 应用系统)."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("主管部门"),
        on_delete=models.PROTECT,
        related_name="infosec_systems",
    )
    code = models.CharField(
        _("系统编号"),
        max_length=40,
        unique=True,
        help_text=_("字母、数字、“-”或“_”，命令行导入时用它指明系统"),
    )
    name = models.CharField(_("系统名称"), max_length=120)
    business = models.TextField(_("承载的业务"), blank=True)
    protection_level = models.PositiveSmallIntegerField(
        _("等级保护级别"), choices=ProtectionLevel.choices
    )
    filing_number = models.CharField(_("等级保护备案编号"), max_length=60, blank=True)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope_path_lookup = "department__path"
    audit_fields: ClassVar[tuple[str, ...]] = (
        "code",
        "name",
        "business",
        "protection_level",
        "filing_number",
        "description",
        "is_active",
        "department_id",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("信息系统")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def audit_scope_path(self) -> str:
        return self.department.path


class _SystemScoped(Scoped):
    scope_path_lookup = SYSTEM_PATH

    class Meta:
        abstract = True

    @property
    def audit_scope_path(self) -> str:
        return self.system.department.path  # type: ignore[attr-defined, no-any-return]


class BusinessAsset(_SystemScoped):
    """业务资产 (GB/T 20984-2022 first layer): a business the system carries."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="businesses")
    code = models.CharField(_("业务编号"), max_length=60)
    name = models.CharField(_("业务名称"), max_length=120)
    importance = models.PositiveSmallIntegerField(_("业务重要性"), choices=LEVEL_CHOICES)
    description = models.TextField(_("说明"), blank=True)
    linked = models.ManyToManyField(
        "self", verbose_name=_("关联业务"), symmetrical=False, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = ("code", "name", "importance", "description")

    class Meta:
        ordering = ["system", "code"]
        verbose_name = _("业务资产")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="infosec_business_code")
        ]

    def __str__(self) -> str:
        return self.name


class AssetLayer(models.TextChoices):
    SYSTEM = "system", _("系统资产")
    COMPONENT = "component", _("系统组件和单元资产")


class Asset(_SystemScoped):
    """系统资产 or 系统组件和单元资产; a component lies in one of 2.1's four parts
    (scheme `infosec.asset_model.parts`). `code` is the key an export/import round-trip
    matches rows on."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="assets")
    business = models.ForeignKey(
        BusinessAsset,
        verbose_name=_("承载的业务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    layer = models.CharField(
        _("资产层次"), max_length=12, choices=AssetLayer.choices, default=AssetLayer.COMPONENT
    )
    part = models.CharField(_("功能部分"), max_length=40, blank=True)  # scheme part code
    code = models.CharField(_("资产编号"), max_length=60)
    name = models.CharField(_("资产名称"), max_length=120)
    asset_type = models.CharField(_("资产类型"), max_length=60, blank=True)
    hostnames = models.TextField(_("主机名"), blank=True)  # one per line
    ips = models.TextField(_("IP 地址"), blank=True)  # one per line
    location = models.CharField(_("部署位置"), max_length=120, blank=True)
    confidentiality = models.PositiveSmallIntegerField(_("保密性"), choices=LEVEL_CHOICES)
    integrity = models.PositiveSmallIntegerField(_("完整性"), choices=LEVEL_CHOICES)
    availability = models.PositiveSmallIntegerField(_("可用性"), choices=LEVEL_CHOICES)
    factors = models.JSONField(_("赋值因素"), default=dict, blank=True)  # factor code -> 1–5
    value = models.PositiveSmallIntegerField(_("资产价值"), choices=LEVEL_CHOICES)
    value_reason = models.TextField(_("赋值理由"), blank=True)
    value_basis = models.JSONField(default=dict, blank=True, editable=False)  # the calculation
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "code",
        "name",
        "layer",
        "part",
        "asset_type",
        "hostnames",
        "ips",
        "location",
        "confidentiality",
        "integrity",
        "availability",
        "factors",
        "value",
        "value_reason",
        "business_id",
    )

    class Meta:
        ordering = ["system", "code"]
        verbose_name = _("资产")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="infosec_asset_code")
        ]
        indexes = [models.Index(fields=["system", "layer", "code"], name="infosec_asset_layer")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def address_list(self) -> list[str]:
        return [a for a in (*self.ips.split(), *self.hostnames.split()) if a]


class AddressKind(models.TextChoices):
    IP = "ip", _("IP 地址")
    HOST = "host", _("主机名")


class AssetAddress(_SystemScoped):
    """One IP address or host name of an asset, normalised (lower case): what a scanner
    finding is matched on. Unique per system, so two assets never claim one address."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=4, choices=AddressKind.choices)
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "value"], name="infosec_address_unique")
        ]


class Incident(_SystemScoped):
    """A past security incident of the system (2.2 以往发生的信息安全事件)."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="incidents")
    occurred_on = models.DateField(_("发生日期"))
    title = models.CharField(_("事件"), max_length=200)
    threat_class = models.CharField(_("威胁类别"), max_length=40)  # scheme threat class code
    description = models.TextField(_("经过和影响"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "occurred_on",
        "title",
        "threat_class",
        "description",
    )

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("安全事件")
        indexes = [models.Index(fields=["system", "threat_class"], name="infosec_incident_class")]


# --- assessments ------------------------------------------------------------------------


class AssessmentStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    FINISHED = "finished", _("已完成")


class Calculation(models.TextChoices):
    MULTIPLICATION = "multiplication", _("相乘法")
    MATRIX = "matrix", _("矩阵法")


class SystemAssessment(Run):
    """One risk assessment of a system: a run of an isra scheme's procedure."""

    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(_("评估名称"), max_length=200)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.OPEN,
        db_index=True,
    )
    calculation = models.CharField(_("风险计算方法"), max_length=20, choices=Calculation.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the scenarios were last computed, and when an input they rest on last changed:
    # the register is current only while computed_at >= inputs_changed_at.
    computed_at = models.DateTimeField(null=True, blank=True)
    inputs_changed_at = models.DateTimeField(default=timezone.now)
    scenario_count = models.PositiveIntegerField(default=0)

    scope_path_lookup = SYSTEM_PATH
    audit_fields: ClassVar[tuple[str, ...]] = ("title", "status", "calculation", "current_step")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("信息安全风险评估")
        indexes = [models.Index(fields=["system", "-started_at"], name="infosec_assess_system")]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_scope_path(self) -> str:
        return self.system.department.path

    def is_open(self) -> bool:
        return self.status == AssessmentStatus.OPEN

    @property
    def current_step_label(self) -> str:
        """The current step's label, read off the frozen snapshot without parsing it whole
        (a list of assessments shows it for each row)."""
        steps = (self.scheme_snapshot or {}).get("procedure", {}).get("steps", [])
        for step in steps:
            if step.get("code") == self.current_step:
                return str(step.get("label") or self.current_step)
        return self.current_step

    def risk_current(self) -> bool:
        """Whether the stored scenarios rest on the inputs as they are now."""
        return self.computed_at is not None and self.computed_at >= self.inputs_changed_at


class SystemAssessmentStep(StepRecordBase):
    run = models.ForeignKey(SystemAssessment, on_delete=models.CASCADE, related_name="steps")

    scope_path_lookup = "run__system__department__path"

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "step_code"], name="infosec_step_unique")
        ]

    @property
    def audit_scope_path(self) -> str:
        return self.run.system.department.path


class _AssessmentScoped(Scoped):
    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        abstract = True

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.system.department.path  # type: ignore[attr-defined, no-any-return]


class ThreatOrigin(models.TextChoices):
    ENVIRONMENTAL = "environmental", _("环境因素")
    HUMAN_MALICIOUS = "human_malicious", _("人为因素（有意）")
    HUMAN_NON_MALICIOUS = "human_non_malicious", _("人为因素（无意）")


class ThreatRating(_AssessmentScoped):
    """A threat the system faces (2.2), of a class of the scheme's catalogue, with its
    source, 主体, 动机, 时机 and frequency 1–5 and the evidence for it."""

    assessment = models.ForeignKey(
        SystemAssessment, on_delete=models.CASCADE, related_name="threats"
    )
    code = models.CharField(_("威胁编号"), max_length=40)
    threat_class = models.CharField(_("威胁类别"), max_length=40)  # scheme threat class code
    name = models.CharField(_("威胁"), max_length=200)
    origin = models.CharField(_("威胁来源"), max_length=24, choices=ThreatOrigin.choices)
    actor = models.CharField(_("威胁主体"), max_length=120, blank=True)
    motive = models.CharField(_("动机"), max_length=200, blank=True)
    timing = models.CharField(_("时机"), max_length=200, blank=True)
    frequency = models.PositiveSmallIntegerField(_("出现频率"), choices=LEVEL_CHOICES)
    evidence = models.TextField(_("赋值依据"), blank=True)
    # What the evidence proposes: the administrators' survey (mean answer) and the count of
    # the system's recorded incidents of this class.
    survey_proposal = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    incident_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "code",
        "threat_class",
        "name",
        "origin",
        "actor",
        "motive",
        "timing",
        "frequency",
        "evidence",
    )

    class Meta:
        ordering = ["assessment", "code"]
        verbose_name = _("威胁")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "code"], name="infosec_threat_code")
        ]

    def __str__(self) -> str:
        return self.name


class Catalogue(models.TextChoices):
    VULNERABILITY = "vulnerability", _("脆弱性识别")
    MEASURE = "measure", _("现有安全措施")


class CheckResult(models.TextChoices):
    # vulnerability checklists (2.3)
    NOT_FOUND = "not_found", _("未发现脆弱性")
    FOUND = "found", _("存在脆弱性")
    # measure checklists (3.1–3.4)
    EFFECTIVE = "effective", pgettext_lazy("measure", "有效")
    PARTIAL = "partial", _("部分有效")
    INEFFECTIVE = "ineffective", _("无效或缺失")
    # both
    NOT_APPLICABLE = "na", _("不适用")


VULNERABILITY_RESULTS = frozenset(
    {CheckResult.NOT_FOUND, CheckResult.FOUND, CheckResult.NOT_APPLICABLE}
)
MEASURE_RESULTS = frozenset(
    {
        CheckResult.EFFECTIVE,
        CheckResult.PARTIAL,
        CheckResult.INEFFECTIVE,
        CheckResult.NOT_APPLICABLE,
    }
)


class MeasureKind(models.TextChoices):
    PREVENTIVE = "preventive", _("预防性措施（降低可能性）")
    PROTECTIVE = "protective", _("保护性措施（降低损失）")


class ChecklistAnswer(_AssessmentScoped):
    """One item of a checklist answered with evidence: a vulnerability checklist item of
    2.3 (管理/运维/技术) or an existing-measure item of 3.1–3.4. A measure answer says
    whether it is preventive or protective and which threat classes and assets it covers
    (empty: all)."""

    assessment = models.ForeignKey(
        SystemAssessment, on_delete=models.CASCADE, related_name="checklist_answers"
    )
    catalogue = models.CharField(max_length=16, choices=Catalogue.choices)
    checklist = models.CharField(max_length=40)  # scheme checklist code
    item = models.CharField(max_length=60)  # scheme item code, e.g. "management.3"
    result = models.CharField(_("结论"), max_length=16, choices=CheckResult.choices)
    method = models.CharField(_("评估方式"), max_length=40, blank=True)
    value = models.CharField(_("检查值"), max_length=200, blank=True)
    evidence = models.TextField(_("证据"), blank=True)
    measure_kind = models.CharField(
        _("措施类型"), max_length=12, choices=MeasureKind.choices, blank=True
    )
    covers_threats = models.JSONField(default=list, blank=True)  # threat class codes
    covers_assets = models.ManyToManyField(Asset, blank=True, related_name="+")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "catalogue",
        "item",
        "result",
        "method",
        "value",
        "evidence",
        "measure_kind",
        "covers_threats",
    )

    class Meta:
        ordering = ["assessment", "catalogue", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "catalogue", "item"], name="infosec_answer_unique"
            )
        ]


# --- vulnerabilities and scans ------------------------------------------------------------


class VulnSource(models.TextChoices):
    SCAN = "scan", _("漏洞扫描")
    CHECKLIST = "checklist", _("检查表")
    AUDIT = "audit", _("人工审计")


class Aspect(models.TextChoices):
    MANAGEMENT = "management", _("管理")
    OPERATIONS = "operations", _("运维")
    TECHNICAL = "technical", _("技术")


class Scanner(models.TextChoices):
    NESSUS = "nessus", "Nessus"
    OPENVAS = "openvas", "OpenVAS/GVM"
    CSV = "csv", _("通用 CSV")


class VulnStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CLOSED = "closed", _("已关闭")  # fixed: no longer seen, or closed with its task
    FALSE_POSITIVE = "false_positive", _("误报")
    ACCEPTED = "accepted", _("接受风险")


class ScanImport(_SystemScoped):
    """One scanner report imported into a system: file, SHA-256, scope, counts and who ran it."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="scans")
    import_record = models.ForeignKey(
        "core.ImportRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scanner = models.CharField(_("扫描器"), max_length=12, choices=Scanner.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    scope = models.JSONField(_("扫描范围"), default=list, blank=True)  # hosts scanned
    counts = models.JSONField(_("统计"), default=dict, blank=True)
    unmatched = models.JSONField(_("未匹配的主机"), default=list, blank=True)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("扫描导入")
        indexes = [models.Index(fields=["system", "-started_at"], name="infosec_scan_system")]


class Vulnerability(_SystemScoped):
    """A vulnerability of the system (2.3), from a scanner, a checklist or an audit.

    `key` is stable across imports (scanner + plugin/NVT id + host + port/protocol, never
    the plugin output text), unique per system: a re-import finds the same row."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="vulnerabilities")
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="vulnerabilities"
    )
    source = models.CharField(_("来源"), max_length=12, choices=VulnSource.choices)
    aspect = models.CharField(_("方面"), max_length=12, choices=Aspect.choices)
    scanner = models.CharField(_("扫描器"), max_length=12, choices=Scanner.choices, blank=True)
    key = models.CharField(max_length=255)
    plugin_id = models.CharField(_("插件/NVT 编号"), max_length=80, blank=True)
    cves = models.CharField(_("CVE 编号"), max_length=500, blank=True)  # comma-separated
    title = models.CharField(_("名称"), max_length=255)
    description = models.TextField(_("描述"), blank=True)
    solution = models.TextField(_("修复建议"), blank=True)
    host = models.CharField(_("主机"), max_length=255, blank=True)
    port = models.PositiveIntegerField(_("端口"), null=True, blank=True)
    protocol = models.CharField(_("协议"), max_length=16, blank=True)
    service = models.CharField(_("服务"), max_length=64, blank=True)
    cvss = models.DecimalField(_("CVSS"), max_digits=3, decimal_places=1, null=True, blank=True)
    grade = models.CharField(_("漏洞等级"), max_length=12, blank=True)  # GB/T 30279 grade code
    severity = models.PositiveSmallIntegerField(_("严重程度"), choices=LEVEL_CHOICES)
    checklist_item = models.CharField(max_length=60, blank=True)  # scheme item code
    status = models.CharField(
        _("状态"), max_length=16, choices=VulnStatus.choices, default=VulnStatus.OPEN
    )
    status_note = models.TextField(_("状态说明"), blank=True)
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    last_scan = models.ForeignKey(
        ScanImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_scan = models.ForeignKey(
        ScanImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "title",
        "severity",
        "grade",
        "status",
        "status_note",
        "asset_id",
    )

    class Meta:
        ordering = ["system", "-severity", "id"]
        verbose_name = _("脆弱性")
        constraints = [models.UniqueConstraint(fields=["system", "key"], name="infosec_vuln_key")]
        indexes = [
            models.Index(fields=["system", "status", "-severity", "id"], name="infosec_vuln_list"),
            models.Index(fields=["asset", "status"], name="infosec_vuln_asset"),
        ]

    def __str__(self) -> str:
        return self.title


# --- risk ---------------------------------------------------------------------------------


class Scenario(Scoped):
    """One risk scenario of an assessment: asset × threat × vulnerability, with the inputs
    and the result of the scheme's calculation. Written in bulk by the risk computation;
    narrow on purpose (an estate has hundreds of thousands). `level` is the band (1 = the
    lowest of the scheme's five); `residual_*` is the risk once closed vulnerabilities and
    completed recommendations are taken into account (NULL level 0: eliminated)."""

    assessment = models.ForeignKey(
        SystemAssessment, on_delete=models.CASCADE, related_name="scenarios"
    )
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+")
    business = models.ForeignKey(
        BusinessAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    threat = models.ForeignKey(ThreatRating, on_delete=models.CASCADE, related_name="+")
    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="+")
    asset_value = models.PositiveSmallIntegerField()
    frequency = models.PositiveSmallIntegerField()
    severity = models.PositiveSmallIntegerField()
    likelihood_steps = models.PositiveSmallIntegerField(default=0)  # preventive measures
    loss_steps = models.PositiveSmallIntegerField(default=0)  # protective measures
    likelihood = models.PositiveSmallIntegerField()  # level 1–5
    loss = models.PositiveSmallIntegerField()  # level 1–5
    risk = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField()  # band 1–5
    residual_risk = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_level = models.PositiveSmallIntegerField(default=0)

    scope_path_lookup = ASSESSMENT_PATH

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "asset", "threat", "vulnerability"],
                name="infosec_scenario_unique",
            )
        ]
        indexes = [
            models.Index(fields=["assessment", "-risk", "id"], name="infosec_scen_register"),
            models.Index(fields=["assessment", "level", "-risk", "id"], name="infosec_scen_level"),
            models.Index(fields=["assessment", "likelihood", "loss"], name="infosec_scen_heat"),
            models.Index(fields=["assessment", "asset", "-risk"], name="infosec_scen_asset"),
            # The estate-wide list (风险清单（全部系统）) in its order, across assessments: a
            # page walks it and keeps the rows of each system's latest assessment.
            models.Index(fields=["-level", "-risk", "id"], name="infosec_scen_estate"),
        ]

    @property
    def audit_scope_path(self) -> str:
        return self.assessment.system.department.path


class Treatment(models.TextChoices):
    ACCEPT = "accept", _("接受")
    REDUCE = "reduce", pgettext_lazy("treatment", "降低")
    TRANSFER = "transfer", _("转移")
    AVOID = "avoid", _("规避")


class ApprovalState(models.TextChoices):
    NOT_NEEDED = "not_needed", _("无需批准")
    PENDING = "pending", _("待批准")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不批准")


class RiskDecision(_AssessmentScoped):
    """风险决策 on one risk scenario: treatment and reason; accepting a risk of a level the
    scheme names (infosec.acceptance) needs the approval of the system department's 分管领导
    who did not propose it, and holds until `expires_on`."""

    assessment = models.ForeignKey(
        SystemAssessment, on_delete=models.CASCADE, related_name="decisions"
    )
    scenario = models.OneToOneField(Scenario, on_delete=models.CASCADE, related_name="decision")
    treatment = models.CharField(_("处置方式"), max_length=12, choices=Treatment.choices)
    reason = models.TextField(_("理由"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    approval = models.CharField(
        _("批准"), max_length=12, choices=ApprovalState.choices, default=ApprovalState.NOT_NEEDED
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.TextField(_("批准意见"), blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "treatment",
        "reason",
        "approval",
        "approval_note",
        "expires_on",
    )

    class Meta:
        ordering = ["assessment", "id"]
        indexes = [
            models.Index(fields=["assessment", "approval"], name="infosec_decision_approval"),
            models.Index(fields=["expires_on"], name="infosec_decision_expiry"),
        ]


# The labels of the built-in scheme's remediation kinds (infosec.remediation.kinds); a
# kind an office's own scheme adds shows its code.
KIND_LABELS = {"technical": _("安全技术"), "management": _("安全管理")}


class Recommendation(_AssessmentScoped):
    """安全建议, written once and linked to every risk scenario it addresses. Once all its
    tasks are done, its `effect` (a preventive or protective measure) lowers the residual
    risk of its scenarios by the scheme's steps."""

    assessment = models.ForeignKey(
        SystemAssessment, on_delete=models.CASCADE, related_name="recommendations"
    )
    title = models.CharField(_("建议"), max_length=200)
    text = models.TextField(_("内容"), blank=True)
    kind = models.CharField(_("类别"), max_length=12)  # scheme remediation kind code
    effect = models.CharField(
        _("完成后的作用"), max_length=12, choices=MeasureKind.choices, blank=True
    )
    scenarios = models.ManyToManyField(Scenario, blank=True, related_name="recommendations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = ("title", "text", "kind", "effect")

    class Meta:
        ordering = ["assessment", "id"]
        verbose_name = _("安全建议")

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    IN_PROGRESS = "in_progress", _("整改中")
    DONE = "done", _("已完成")
    CLOSED_BY_SCAN = "closed_by_scan", _("复测已关闭")
    CANCELLED = "cancelled", _("已撤销")


OPEN_TASK_STATUSES = frozenset({TaskStatus.OPEN, TaskStatus.IN_PROGRESS})


class RemediationTask(_SystemScoped):
    """安全整改 task (3.5) from a vulnerability, a risk or a recommendation."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="tasks")
    assessment = models.ForeignKey(
        SystemAssessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    vulnerability = models.ForeignKey(
        Vulnerability, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    recommendation = models.ForeignKey(
        Recommendation, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    scenario = models.ForeignKey(
        Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("整改事项"), max_length=200)
    kind = models.CharField(_("类别"), max_length=12)  # scheme remediation kind code
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    severity = models.CharField(_("严重程度"), max_length=16, blank=True)  # grade or risk level
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    evidence = models.TextField(_("整改证据"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_by_scan = models.ForeignKey(
        ScanImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    audit_fields: ClassVar[tuple[str, ...]] = (
        "title",
        "kind",
        "owner_id",
        "severity",
        "deadline",
        "status",
        "evidence",
    )

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("整改任务")
        indexes = [
            models.Index(fields=["system", "status", "deadline"], name="infosec_task_status"),
            models.Index(fields=["status", "deadline"], name="infosec_task_overdue"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    def is_overdue(self, today=None) -> bool:  # type: ignore[no-untyped-def]
        today = today or timezone.localdate()
        return self.is_open() and self.deadline < today
