"""Pure readers for tabular files (CSV text encodings, the XLSX archive check, XML records).

No Django and no other fengping package: the import framework (`fengping.core.imports`)
and the scheme tools (`fengping.schemes.isra_csv`) both read through it, and each may
import only what lies below it (tests/core/test_layers.py, tests/test_no_django.py).
"""

from .archive import ArchiveSize, check_xlsx_archive
from .errors import ReadError
from .records import xml_events, xml_records
from .text import Decoded, csv_rows, decode_text

__all__ = [
    "ArchiveSize",
    "Decoded",
    "ReadError",
    "check_xlsx_archive",
    "csv_rows",
    "decode_text",
    "xml_events",
    "xml_records",
]
