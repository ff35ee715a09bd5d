"""Issue 9: a web worker stays small. The libraries only some requests need — jieba
(keywords, ~65 MiB: only the job worker tokenises), openpyxl with numpy (exports and
imports, ~30 MiB), docxtpl with python-docx (the DOCX report, ~20 MiB) — load on first
use, never when a worker starts."""

from __future__ import annotations

import os
import subprocess
import sys

ON_DEMAND = ("jieba", "openpyxl", "numpy", "docx", "docxtpl")

STARTUP = """
import importlib, pkgutil, sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import fengping, fengping.wsgi
for info in pkgutil.walk_packages(fengping.__path__, "fengping."):
    name = info.name
    if name.endswith(("views", "_views", "_api", "queries", "lists", "panels", "cards")):
        importlib.import_module(name)
print(" ".join(m for m in {mods!r} if m in sys.modules) or "-")
"""


def test_a_starting_web_worker_loads_none_of_the_heavy_libraries():
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", STARTUP.format(mods=ON_DEMAND)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "fengping.settings"},
    )
    assert out.stdout.strip().splitlines()[-1] == "-", out.stdout + out.stderr
