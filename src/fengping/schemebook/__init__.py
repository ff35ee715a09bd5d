"""评估方案: the schemes offices assess by, listed, shown in full, and uploaded by administrators.

The scheme files themselves live in `fengping.schemes` (pure, no Django); this app adds
what needs the web and the database: uploads, the registry that merges every source, and
the pages.
"""
