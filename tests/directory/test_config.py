"""The directory settings file: every error names its place in the file."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fengping.conf import ConfigError
from fengping.directory import config
from fengping.org.models import THREE_ADMIN_ROLES, Role

ROLES = set(Role.values)
ADMINS = {str(r) for r in THREE_ADMIN_ROLES}

OIDC = {
    "issuer": "https://idp.example.gov.cn/realms/sfs",
    "client_id": "fengping",
    "client_secret": "s3cret",
}


def parse(data):
    cfg = config.parse(data, "d.yaml")
    config.check_roles(cfg, ROLES, ADMINS)
    return cfg


def groups(*rows):
    return {"oidc": OIDC, "groups": list(rows)}


@pytest.mark.parametrize("role", sorted(ADMINS))
def test_mapping_to_an_administrator_role_is_refused(role):
    with pytest.raises(ConfigError, match=r"groups\[1\]\.role.*管理员"):
        parse(
            groups(
                {"group": "staff", "department": "RSJ", "role": "handler"},
                {"group": "it", "department": "SFS", "role": role},
            )
        )


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({}, "ldap/oidc"),
        (groups({"group": "g", "department": "RSJ", "role": "boss"}), r"groups\[0\]\.role"),
        (groups({"group": "g", "role": "handler"}), r"groups\[0\]\.department"),
        (groups({"group": "g", "department": "RSJ", "role": "handler", "x": 1}), r"groups\[0\]\.x"),
        ({"oidc": {**OIDC, "issuer": ""}}, r"oidc\.endpoints\.authorization"),
        ({"oidc": {**OIDC, "scopes": ["email"]}}, r"oidc\.scopes"),
        ({"oidc": {**OIDC, "sign_algo": "HS256"}}, r"oidc\.sign_algo"),
        ({"oidc": {k: v for k, v in OIDC.items() if k != "client_id"}}, r"oidc\.client_id"),
        ({"ldap": {"server_uri": "http://x"}}, r"ldap\.server_uri"),
        ({"ldap": {"server_uri": "ldap://x"}}, r"ldap\.user_search"),
        (
            {
                "ldap": {
                    "server_uri": "ldap://x",
                    "user_search": {"base": "dc=x", "filter": "(uid=x)"},
                }
            },
            r"ldap\.user_search\.filter",
        ),
        (
            {
                "ldap": {
                    "server_uri": "ldap://x",
                    "user_search": {"base": "dc=x"},
                    "group_search": {"base": "dc=x", "type": "posix"},
                }
            },
            r"ldap\.group_search\.type",
        ),
        (
            {
                "ldap": {
                    "server_uri": "ldap://x",
                    "user_search": {"base": "dc=x"},
                    "group_search": {"base": "dc=x"},
                    "timeout": 0,
                }
            },
            r"ldap\.timeout",
        ),
        (
            {
                "ldap": {
                    "server_uri": "ldap://x",
                    "user_search": {"base": "dc=x"},
                    "bind_dn": "cn=svc",
                    "bind_password_env": "FENGPING_TEST_UNSET_VARIABLE",
                }
            },
            r"ldap\.bind_password_env.*FENGPING_TEST_UNSET_VARIABLE",
        ),
        (
            {
                "ldap": {
                    "server_uri": "ldap://x",
                    "user_search": {"base": "dc=x"},
                    "group_search": {"base": "dc=x"},
                    "bind_dn": "cn=s",
                }
            },
            r"ldap\.bind_password",
        ),
    ],
)
def test_errors_name_the_place(data, where):
    with pytest.raises(ConfigError, match=where):
        parse(data)


def test_secret_from_the_environment(monkeypatch):
    monkeypatch.setenv("FENGPING_TEST_OIDC_SECRET", "from-env")
    cfg = parse(
        {
            "oidc": {
                **{k: v for k, v in OIDC.items() if k != "client_secret"},
                "client_secret_env": "FENGPING_TEST_OIDC_SECRET",
            }
        }
    )
    assert cfg.oidc.client_secret == "from-env"
    settings = config.django_settings(cfg)
    assert settings["OIDC_RP_CLIENT_SECRET"] == "from-env"
    assert settings["OIDC_USE_NONCE"] is True
    assert config.authentication_backends(cfg) == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
        "fengping.directory.backends.DirectoryOIDCBackend",
    ]


def test_bad_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="无法读取"):
        config.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("ldap: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        config.load(bad)


def test_active_directory_member_of():
    pytest.importorskip("django_auth_ldap")

    class Entry:
        attrs = {"memberof": ["CN=Staff,OU=Groups,DC=x", "CN=IT,OU=Groups,DC=x"]}

    group_type = config.member_of_type()()
    assert [dn for dn, _ in group_type.user_groups(Entry(), None)] == [
        "CN=Staff,OU=Groups,DC=x",
        "CN=IT,OU=Groups,DC=x",
    ]
    assert group_type.is_member(Entry(), "cn=staff,ou=groups,dc=x")
    assert not group_type.is_member(Entry(), "cn=other,ou=groups,dc=x")


def test_start_up_refuses_an_administrator_mapping(tmp_path):
    """The real start-up: `fengping check` stops with the place in the file, no traceback."""
    path = tmp_path / "directory.yaml"
    path.write_text(
        "oidc:\n  issuer: https://idp.example\n  client_id: c\n  client_secret: s\n"
        "groups:\n  - {group: it, department: SFS, role: security_admin}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "FENGPING_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "FENGPING_DIRECTORY_FILE": str(path),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "fengping.cli", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert "groups[0].role" in done.stderr and "security_admin" in done.stderr
    assert "Traceback" not in done.stderr


def test_ldap_configured_without_python_ldap_stops_start_up(monkeypatch):
    monkeypatch.setitem(sys.modules, "ldap", None)  # import ldap → ImportError
    cfg = config.parse(
        {
            "ldap": {
                "server_uri": "ldap://x",
                "user_search": {"base": "dc=x"},
                "group_search": {"base": "dc=x"},
            }
        }
    )
    with pytest.raises(ConfigError, match=r"fengping\[ldap\]"):
        config.django_settings(cfg)
