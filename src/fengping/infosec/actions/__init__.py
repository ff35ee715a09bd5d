"""State changes of the infosec app, one module per area (systems and assets, scans and
vulnerabilities, threats and checklists, assessments and risk, treatment and tasks).
Each `do_*` checks access and the scheme's rules, runs in one transaction and writes one
audit event; pages, the API, imports and the command line call the same function.
Each module lists the audit labels of what it records in LABELS."""
