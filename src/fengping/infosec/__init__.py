"""信息安全风险评估 (篇2, GB/T 20984-2022): information systems and their assets, threats,
vulnerabilities from checklists, scanners and audits, existing measures, risk scenarios,
treatment decisions, recommendations and 安全整改 tasks."""
