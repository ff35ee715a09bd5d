"""Typed readers for configuration from the environment.

Every reader fails with `ConfigError` and a one-line Chinese + English message naming the
variable, so a wrong setting stops start-up with an explanation instead of a traceback
(the `fengping` command prints the message and exits 2).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url


class ConfigError(Exception):
    """A configuration value is missing or wrong."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(
        f"{name}={raw!r} 不是布尔值，应为 1/0、true/false、yes/no、on/off"
        f" / {name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off"
    )


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} 不是整数 / {name}={raw!r} is not an integer") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma-separated list of addresses or networks (`10.0.0.5,10.1.0.0/16`)."""
    out = []
    for item in envlist(name, []):
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"{name} 中的 {item!r} 不是 IP 地址或网段 / {item!r} in {name} is not an IP"
                " address or network"
            ) from None
    return tuple(out)


def cache_url(name: str) -> str:
    """A Redis URL, or "" (the database cache)."""
    raw = envstr(name).strip()
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"{name} 应以 redis://、rediss:// 或 unix:// 开头"
            f" / {name} must start with redis://, rediss:// or unix://"
        )
    return raw


def data_dir(name: str = "FENGPING_DATA_DIR", default: str = "./var") -> Path:
    """The data directory (SQLite file, uploads, generated secret key); created if missing."""
    path = Path(os.environ.get(name) or default).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"{name}={path} 无法创建或不可写（{exc.strerror}）"
            f" / {name}={path} cannot be created or written ({exc.strerror})"
        ) from None
    return path


def secret_key(data: Path, name: str = "FENGPING_SECRET_KEY") -> str:
    """The secret key from the environment, else one generated once into the data directory.

    Generating it keeps a fresh install secure without a manual step; keeping it in the data
    directory means sessions survive restarts. Several app servers must share it, so a
    scale-out deployment sets FENGPING_SECRET_KEY explicitly.
    """
    raw = os.environ.get(name)
    if raw is not None:
        if len(raw) < 32:
            raise ConfigError(
                f"{name} 太短（至少 32 个字符） / {name} is too short (at least 32 characters)"
            )
        return raw
    key_file = data / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database(data: Path, name: str = "DATABASE_URL") -> dict[str, Any]:
    raw = os.environ.get(name) or f"sqlite:///{data / 'fengping.sqlite3'}"
    if not raw.startswith(("sqlite:", "postgres:", "postgresql:", "pgsql:")):
        raise ConfigError(
            f"{name} 只支持 sqlite:/// 或 postgres:// 开头的地址"
            f" / {name} must start with sqlite:/// or postgres://"
        )
    try:
        config = dict(dj_database_url.parse(raw, conn_max_age=60))
    except Exception as exc:  # dj_database_url raises plain ValueError/KeyError variants
        raise ConfigError(f"{name} 无法解析（{exc}） / {name} cannot be parsed ({exc})") from None
    if config["ENGINE"].endswith("sqlite3"):
        # Sessions, the audit chain and job rows all write: wait for the lock instead of
        # failing at once, and keep readers off the writer's back (WAL).
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # Kept open per server thread like PostgreSQL's: opening one (and its PRAGMAs) on
        # every request cost a tenth of a page's time under load (bench_supervision.py).
        config["CONN_MAX_AGE"] = 60
    return config


def audit_hash(name: str = "FENGPING_AUDIT_HASH") -> str:
    """The audit chain's hash for new events: sha256 (default) or sm3, which this machine
    must be able to compute (hashlib's OpenSSL or the cryptography package)."""
    from fengping.audit.hashing import ALGORITHMS, DEFAULT, available

    raw = envstr(name, DEFAULT).strip().lower() or DEFAULT
    if raw not in ALGORITHMS:
        raise ConfigError(
            f"{name}={raw!r} 应为 sha256 或 sm3 / {name}={raw!r} must be sha256 or sm3"
        )
    if not available(raw):
        raise ConfigError(
            f"{name}=sm3，但本机的 OpenSSL 与 cryptography 均不提供 SM3"
            f" / {name}=sm3 but neither OpenSSL nor the cryptography package provides SM3"
        )
    return raw


# 网络安全法 第二十一条: network logs are kept for no less than six months.
MIN_AUDIT_RETENTION_DAYS = 180


def audit_retention_days(name: str = "FENGPING_AUDIT_RETENTION_DAYS") -> int:
    days = envint(name, MIN_AUDIT_RETENTION_DAYS)
    if days < MIN_AUDIT_RETENTION_DAYS:
        raise ConfigError(
            f"{name}={days} 少于 {MIN_AUDIT_RETENTION_DAYS} 天：网络安全法第二十一条要求网络日志留存"
            f"不少于六个月 / {name}={days} is below {MIN_AUDIT_RETENTION_DAYS} days: the"
            " Cybersecurity Law (art. 21) requires network logs to be kept at least six months"
        )
    return days


def security_floor(values: dict[str, Any]) -> None:
    """The security policy's values from the environment may not be weaker than the
    level-3 floor (fengping.security.floors)."""
    from fengping.security.floors import ENV_NAMES, out_of_bounds

    for name, low, high in out_of_bounds(values):
        env = ENV_NAMES[name]
        raise ConfigError(
            f"{env}={values[name]} 超出允许范围 {low}–{high}（等保三级要求）"
            f" / {env}={values[name]} is outside {low}–{high} (GB/T 22239 level 3)"
        )
