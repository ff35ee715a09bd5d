"""A real OpenLDAP `slapd` on a loopback port, seeded from `seed.ldif`, and helpers to
point the settings at a directory file.

Without python-ldap or slapd the LDAP tests skip with the reason; with
FENGPING_REQUIRE_LDAP=1 (CI) they fail instead, so CI cannot pass by skipping them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from fengping.directory import config

HERE = Path(__file__).parent
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
BASE = "dc=example,dc=gov,dc=cn"
ROOT_DN = f"cn=root,{BASE}"
ROOT_PW = "root-secret"
SERVICE_DN = f"cn=fengping,ou=services,{BASE}"
SERVICE_PW = "service-secret"


def unavailable(reason: str) -> None:
    if os.environ.get("FENGPING_REQUIRE_LDAP") == "1":
        pytest.fail(f"FENGPING_REQUIRE_LDAP=1 but {reason}")
    pytest.skip(reason)


def require_ldap() -> None:
    try:
        import django_auth_ldap  # noqa: F401
        import ldap  # noqa: F401
    except ImportError as exc:
        unavailable(
            f"python-ldap / django-auth-ldap not importable ({exc}); install fengping[ldap]"
        )
    if not (os.access(SLAPD, os.X_OK) and os.access(SLAPADD, os.X_OK)):
        unavailable(f"OpenLDAP slapd not found ({SLAPD}); install the Debian package slapd")
    if not (SCHEMA_DIR / "inetorgperson.schema").exists():
        unavailable(f"OpenLDAP schemas not found in {SCHEMA_DIR}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SLAPD_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
modulepath {modules}
moduleload back_mdb
pidfile {tmp}/slapd.pid
database mdb
maxsize 10485760
suffix "{base}"
rootdn "{root_dn}"
rootpw {root_pw}
directory {tmp}/db
access to attrs=userPassword by self read by anonymous auth by * none
access to * by users read by * none
"""


class Slapd:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.conf = tmp / "slapd.conf"
        (tmp / "db").mkdir()
        self.conf.write_text(
            SLAPD_CONF.format(
                schema=SCHEMA_DIR,
                modules=MODULE_DIR,
                tmp=tmp,
                base=BASE,
                root_dn=ROOT_DN,
                root_pw=ROOT_PW,
            )
        )
        subprocess.run(  # noqa: S603 - the system slapadd, our own arguments
            [SLAPADD, "-f", str(self.conf), "-l", str(HERE / "seed.ldif")],
            check=True,
            capture_output=True,
        )
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import ldap

        # -d keeps slapd in the foreground, so the test owns the process and stops it.
        self.process = subprocess.Popen(  # noqa: S603 - the system slapd, our own arguments
            [SLAPD, "-f", str(self.conf), "-h", f"{self.uri}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                conn = ldap.initialize(self.uri)
                conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 1)
                conn.simple_bind_s(ROOT_DN, ROOT_PW)
                conn.unbind_s()
                return
            except ldap.LDAPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    err = self.process.stderr.read().decode() if self.process.stderr else ""
                    self.stop()
                    pytest.fail(f"slapd did not start: {err[-2000:]}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def modify(self, dn: str, changes: list) -> None:
        """An LDAP modify as the directory's administrator (what ldapmodify sends)."""
        import ldap

        conn = ldap.initialize(self.uri)
        conn.simple_bind_s(ROOT_DN, ROOT_PW)
        conn.modify_s(dn, changes)
        conn.unbind_s()


@pytest.fixture(scope="module")
def slapd():
    require_ldap()
    tmp = Path(tempfile.mkdtemp(prefix="fengping-slapd-"))
    server = Slapd(tmp)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


GROUPS_YAML = f"""\
groups:
  - group: cn=rsj-handlers,ou=groups,{BASE}
    department: RSJ
    role: handler
  - group: CN=ZJJ-Assessors,ou=groups,{BASE}
    department: ZJJ
    role: assessor
  - group: cn=elsewhere,ou=groups,{BASE}
    department: NOPE
    role: handler
"""


def ldap_yaml(uri: str, *, extra: str = "") -> str:
    return f"""\
ldap:
  server_uri: {uri}
  bind_dn: {SERVICE_DN}
  bind_password_env: TEST_FENGPING_LDAP_PW
  user_search:
    base: ou=people,{BASE}
    filter: (uid=%(user)s)
  attributes:
    username: uid
    real_name: cn
    email: mail
    phone: telephoneNumber
    position: title
  group_search:
    base: ou=groups,{BASE}
    type: groupOfNames
  timeout: 2
{extra}{GROUPS_YAML}"""


def apply_directory(settings, cfg) -> None:
    """Point the running settings at `cfg`, as settings.py does at start-up."""
    from fengping.org.models import THREE_ADMIN_ROLES, Role

    config.check_roles(cfg, set(Role.values), {str(r) for r in THREE_ADMIN_ROLES})
    for key, value in config.django_settings(cfg).items():
        setattr(settings, key, value)
    settings.AUTHENTICATION_BACKENDS = config.authentication_backends(cfg)


@pytest.fixture
def ldap_directory(slapd, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_FENGPING_LDAP_PW", SERVICE_PW)
    path = tmp_path / "directory.yaml"
    path.write_text(ldap_yaml(slapd.uri), encoding="utf-8")
    cfg = config.load(path)
    apply_directory(settings, cfg)
    return cfg
