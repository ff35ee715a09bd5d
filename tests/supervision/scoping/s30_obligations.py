"""待办事项: no page or API path names an obligation (the lists are scoped by the user,
tests/supervision/test_obligations.py); the calendar feed's URL carries a token, not an
object (OTHER_OBJECT_URLS; tests/supervision/test_calendar_feed.py). What is left are
the changing API operations without a path parameter."""

API_OPERATIONS = {
    # 立即同步: 督查 and administrators only; a department's head and another bureau's
    # handler are refused.
    "POST /api/supervision/obligations/sync": {
        "kind": "obligation",
        "readers": ("rsj_head", "zjj_handler"),
    },
    # The caller's own calendar-feed token: every user creates, rotates and revokes their
    # own and nobody else's (there is no reader to refuse).
    "POST /api/supervision/calendar-feed": {"own": True},
    "DELETE /api/supervision/calendar-feed": {"own": True},
}
