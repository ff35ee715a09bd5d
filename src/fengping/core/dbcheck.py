"""Is the database usable — reachable *and* writable?

A read-only database (a file mounted read-only, a PostgreSQL replica or a role without
write rights) answers every read, so a `SELECT 1` check passes while login — which writes
the session and the audit chain — fails. The probe writes inside a transaction that is
rolled back, so it leaves nothing behind.
"""

from __future__ import annotations

from django.db import DatabaseError, connections, transaction


def database_problem(using: str = "default") -> str | None:
    """None when the database accepts a write, else a one-line reason."""
    connection = connections[using]
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("CREATE TABLE fengping_write_probe (id integer)")
            cursor.execute("INSERT INTO fengping_write_probe (id) VALUES (1)")
            transaction.set_rollback(True, using=using)
    except DatabaseError as exc:
        return first_line(exc)
    return None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
