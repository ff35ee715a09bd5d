"""风评 fengping — a risk-assessment workbench."""

__version__ = "0.1.0"
