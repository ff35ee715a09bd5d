"""The supervision pages, one module per area; each module defines `urlpatterns`, which
`supervision/urls.py` collects."""
