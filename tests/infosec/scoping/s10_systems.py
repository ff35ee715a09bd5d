"""Systems and their inventory."""

READ, CHANGE = False, True

PAGES = {"system": {"infosec:system": READ}}
READERS = {"system": ("supervisor",), "infosec_assessment": ("supervisor",)}
API_PARAMETERS: dict = {}
API_OPERATIONS: dict = {}
