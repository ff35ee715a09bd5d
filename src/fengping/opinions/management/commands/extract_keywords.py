"""`fengping manage extract_keywords`: extract the keywords of texts waiting for the job
worker now, in this process; `--rebuild` starts matters over (after the stop-word list or
the domain dictionary changed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengping.matters.models import Matter
from fengping.opinions import keyword_index


class Command(BaseCommand):
    help = "提取待处理意见的关键词 / extract the keywords of queued opinions"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild",
            nargs="*",
            type=int,
            metavar="MATTER_ID",
            help="重新提取这些事项（不给编号则全部事项）的关键词 / start these matters (all "
            "without ids) over",
        )

    def handle(self, *args: Any, rebuild: list[int] | None = None, **options: Any) -> None:
        if rebuild is not None:
            ids = rebuild or list(Matter.objects.values_list("pk", flat=True))
            queued = sum(keyword_index.rebuild(pk) for pk in ids)
            self.stdout.write(f"queued {queued} texts of {len(ids)} matters")
        done = keyword_index.extract_pending_all()
        self.stdout.write(f"extracted keywords of {done} texts")
