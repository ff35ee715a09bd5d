"""State changes of the cases app, one module per area (cases, screening, assessments,
resolution, …); apps.ready collects each module's LABELS."""
