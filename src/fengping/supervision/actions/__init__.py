"""State changes of the supervision app, one module per area. Each module keeps the audit
labels of what it records in `LABELS` (registered by `SupervisionConfig.ready`) and may
register tick jobs, home cards and other contributions when it is imported."""
