"""Pages of the cases app, one module per area; each module's `urlpatterns` is collected
by `cases/urls.py`."""
