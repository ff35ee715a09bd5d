"""The statistics (`cases:statistics`, `cases:statistics_export`, `GET /api/cases/statistics/`)
name no object in their path, so they have no rows here. They take an organ and a run as
query parameters: those are fetched through `cases.queries.organ_for` / `run_for` (404
outside the user's scope), and the figures are counted over `org.access.visible`
querysets only. tests/cases/test_statistics.py proves it: an outsider's page and API
answer show none of the court's figures, another organ's `organ` or `run` is a 404 on the
page, the export and the API, and a reader gets figures from pages that change nothing
(POST is 405)."""

from __future__ import annotations

PAGES: dict = {}
READERS: dict = {}
API_PARAMETERS: dict = {}
API_OPERATIONS: dict = {}
