"""Data built once per test module and rolled back at its end.

A module whose tests only read (or whose changes each test rolls back) can share one
organisation instead of building it for every test: `module_data` runs the builder inside
an outer transaction that is never committed. pytest-django's `db` fixture then opens a
savepoint per test (django.test.TestCase nests its atomic blocks), so every test still
starts from the same rows, and the module's rows disappear when the module ends.

    @pytest.fixture(scope="module")
    def world(django_db_setup, django_db_blocker):
        yield from module_data(django_db_blocker, build_world)

Tests must still request `db` (or a fixture that does) to touch the database, and must
not use `transactional_db` or `live_server`: they flush the database, module rows included.
Hand each test fresh model instances (`Org.fresh()`), not the module's own objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")


def module_data(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            # Every test's savepoint is released by now. Anything else means a test closed
            # the connection (its rows are gone) or left an atomic block open.
            assert connection.atomic_blocks == [outer], "the module's transaction was disturbed"
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
