"""The supervision demo data, one module per area; each defines `load() -> int` (how many
objects it created) and must be idempotent (`fengping demo` may run twice)."""
