"""Directory login: LDAP / Active Directory (django-auth-ldap) and OIDC (mozilla-django-oidc).

Users and their memberships come from the unit's directory, mapped by the settings file
named in FENGPING_DIRECTORY_FILE (`config.py`). Administrators stay local accounts.
"""
