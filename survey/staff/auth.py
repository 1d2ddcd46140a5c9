"""Staff authentication in plain Python: no Flask here, every state change takes ``session=``.

- Passwords: argon2id (argon2-cffi), at least 8 characters, common and context words refused.
- Second factor: TOTP (RFC 6238, pyotp), each code accepted once.
- Throttling: failed logins per username in the ``LoginThrottle`` table, so every gunicorn
  worker (and every server sharing the database) sees the same count.
- Server-side sessions: the browser holds a random 256-bit token; the table keeps only its
  SHA-256, so a copy of the database cannot be used to take over a session.
- Roles and target groups: who may see which answers.
- Audit: ``record_audit`` refuses anything that looks like free text.

Like survey.operations, the caller owns the transaction: functions add and flush, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from analysis.labels import DIMENSIONS
from survey.models import AuditEvent, LoginThrottle, StaffSession, StaffUser

# --------------------------------------------------------------------------- roles

ROLES: tuple[str, ...] = ("admin", "strategy_group", "analyst", "researcher")
#: Roles that see the answers of every target group.
ALL_GROUP_ROLES = frozenset({"admin", "analyst", "researcher"})
TARGET_GROUPS: tuple[str, ...] = DIMENSIONS["target_groups"]


class HasAccess(Protocol):
    roles: list[str]
    target_groups: list[str]


def has_role(user: HasAccess | None, *roles: str) -> bool:
    """True when the user holds at least one of ``roles``."""
    return user is not None and any(role in user.roles for role in roles)


def visible_target_groups(user: HasAccess | None) -> tuple[str, ...]:
    """The target groups whose answers ``user`` may read, in codebook order.

    Admins, analysts and researchers see all of them; a strategy group member sees the
    groups they were given. The overall figures are not covered by this: every role has them.
    """
    if user is None:
        return ()
    if has_role(user, *ALL_GROUP_ROLES):
        return TARGET_GROUPS
    if has_role(user, "strategy_group"):
        return tuple(group for group in TARGET_GROUPS if group in user.target_groups)
    return ()


def may_see_answer(user: HasAccess | None, labels: Iterable[str]) -> bool:
    """Whether ``user`` may read one answer, given the labels it is coded with.

    Roles that see every group may read every answer (also uncoded ones). A strategy group
    member may read an answer only when it is coded with one of their target groups.
    """
    if user is None:
        return False
    if has_role(user, *ALL_GROUP_ROLES):
        return True
    visible = set(visible_target_groups(user))
    return bool(visible.intersection(labels))


# --------------------------------------------------------------------------- time


def utcnow() -> datetime:
    """The current time. Tests monkeypatch this one function to move the clock."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------- passwords

MIN_PASSWORD_LENGTH = 8
# Long enough for any passphrase or password manager (ASVS asks for at least 64), short
# enough that nobody can make the server hash megabytes.
MAX_PASSWORD_LENGTH = 256
MAX_USERNAME_LENGTH = 80
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,79}$")
#: Words that make a password easy to guess here, whatever digits or signs are added.
CONTEXT_WORDS = frozenset(
    {"viktigt", "vadärviktigt", "lösenord", "losenord", "password", "personal", "region"}
)
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"

#: argon2id with the RFC 9106 "low memory" profile: 3 passes over 64 MiB, 4 lanes. This is
#: stronger than OWASP's minimum (19 MiB, 2 passes, 1 lane). Tests swap in a cheap hasher.
PASSWORD_HASHER = PasswordHasher()


def normalize_password(password: str) -> str:
    """NFKC, so the same password typed on different keyboards or systems matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return PASSWORD_HASHER.hash(normalize_password(password))


@cache
def _dummy_hash(parameters: tuple[int, int, int, int, int]) -> str:
    hasher = PasswordHasher(*parameters)
    return hasher.hash(secrets.token_urlsafe(16))


def _hasher_parameters() -> tuple[int, int, int, int, int]:
    hasher = PASSWORD_HASHER
    return (
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
    )


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password. With no stored hash (unknown user) a dummy hash is checked instead,
    so an unknown username takes as long to refuse as a wrong password."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    candidate = normalize_password(password)
    if stored_hash is None:
        try:
            PASSWORD_HASHER.verify(_dummy_hash(_hasher_parameters()), candidate)
        except VerificationError:
            pass
        return False
    try:
        return PASSWORD_HASHER.verify(stored_hash, candidate)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return PASSWORD_HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@cache
def common_passwords() -> frozenset[str]:
    text = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


_SIGNS = string.punctuation + string.whitespace + "§½¤£€"
_STRIP = string.digits + _SIGNS


def password_problems(password: str, *, username: str | None = None) -> list[str]:
    """Why a new password is refused, as problem codes (empty list: acceptable).

    No composition rules (ASVS 2.1.9 / NIST 800-63B): any characters, spaces included.
    Codes: password_too_short, password_too_long, password_common,
    password_contains_username, password_repetitive.
    """
    candidate = normalize_password(password)
    length = len(candidate)
    if length < MIN_PASSWORD_LENGTH:
        return ["password_too_short"]
    if length > MAX_PASSWORD_LENGTH:
        return ["password_too_long"]
    problems: list[str] = []
    lowered = candidate.casefold()
    # "Sommar2026!" is "sommar2026" with a sign added; "Viktigt123" is a context word.
    variants = {lowered, lowered.strip(_SIGNS), lowered.strip(_STRIP)}
    listed = common_passwords()
    if variants & listed or variants & CONTEXT_WORDS:
        problems.append("password_common")
    name = canonical_username(username) if username else ""
    if len(name) >= 3 and (name in lowered or name.split("@")[0] in lowered):
        problems.append("password_contains_username")
    if len(set(lowered)) < 4:
        problems.append("password_repetitive")
    return problems


# --------------------------------------------------------------------------- accounts


class AccountError(ValueError):
    """An account could not be created or changed; ``problems`` holds problem codes."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = list(problems)


def canonical_username(username: str) -> str:
    """Usernames are compared without case and surrounding spaces."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def find_user(session: Session, username: str) -> StaffUser | None:
    name = canonical_username(username)
    if not name or len(name) > MAX_USERNAME_LENGTH:
        return None
    return session.exec(select(StaffUser).where(StaffUser.username == name)).first()


def access_problems(roles: Iterable[str], target_groups: Iterable[str]) -> list[str]:
    """Codes: role_missing, role_unknown, target_group_unknown, target_group_missing."""
    roles, target_groups = list(roles), list(target_groups)
    problems: list[str] = []
    if not roles:
        problems.append("role_missing")
    if any(role not in ROLES for role in roles):
        problems.append("role_unknown")
    if any(group not in TARGET_GROUPS for group in target_groups):
        problems.append("target_group_unknown")
    if "strategy_group" in roles and not target_groups:
        problems.append("target_group_missing")
    return problems


def _ordered(values: Iterable[str], order: Sequence[str]) -> list[str]:
    chosen = set(values)
    return [value for value in order if value in chosen]


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    roles: Iterable[str],
    target_groups: Iterable[str] = (),
    now: datetime | None = None,
) -> StaffUser:
    """Add a staff account. Raises AccountError with every problem found.

    The account has no second factor yet: it is set up at the first login.
    """
    name = canonical_username(username)
    roles, target_groups = list(roles), list(target_groups)
    problems: list[str] = []
    if not USERNAME_PATTERN.match(name):
        problems.append("username_invalid")
    elif find_user(session, name) is not None:
        problems.append("username_taken")
    problems += access_problems(roles, target_groups)
    problems += password_problems(password, username=name)
    if problems:
        raise AccountError(problems)
    user = StaffUser(
        username=name,
        password_hash=hash_password(password),
        roles=_ordered(roles, ROLES),
        target_groups=_ordered(target_groups, TARGET_GROUPS),
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise AccountError(["username_taken"]) from None
    return user


def set_access(user: StaffUser, *, roles: Iterable[str], target_groups: Iterable[str]) -> None:
    """Change roles and target groups; raises AccountError. Applies at the next request."""
    roles, target_groups = list(roles), list(target_groups)
    problems = access_problems(roles, target_groups)
    if problems:
        raise AccountError(problems)
    user.roles = _ordered(roles, ROLES)
    # Target groups only mean something for strategy group members.
    user.target_groups = _ordered(target_groups, TARGET_GROUPS) if "strategy_group" in roles else []


def set_password(user: StaffUser, password: str) -> None:
    """Replace the password; raises AccountError when the new one is too weak."""
    problems = password_problems(password, username=user.username)
    if problems:
        raise AccountError(problems)
    user.password_hash = hash_password(password)


# --------------------------------------------------------------------------- TOTP

TOTP_ISSUER = "Viktigt"
TOTP_DIGITS = 6
TOTP_INTERVAL = 30
#: Codes from one step before or after are accepted too (clock drift, slow typing).
TOTP_DRIFT_STEPS = 1
_TOTP_USED_PREFIX = "totp-used:"


def new_totp_secret() -> str:
    """160 random bits in base32, as RFC 4226 recommends."""
    return pyotp.random_base32()


def totp_uri(secret: str, username: str, issuer: str = TOTP_ISSUER) -> str:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=username, issuer_name=issuer
    )


def totp_qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI, made here (no script, no CDN)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


def readable_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def totp_step(at: datetime) -> int:
    return int(at.timestamp()) // TOTP_INTERVAL


def totp_code(secret: str, step: int) -> str:
    """The code for one time step (tests use this to play the authenticator app)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).generate_otp(step)


def clean_code(code: str) -> str | None:
    """Digits only, spaces and dashes allowed in between; None when it cannot be a code."""
    digits = re.sub(r"[\s-]", "", code or "")
    if len(digits) != TOTP_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def matching_totp_step(secret: str, code: str, *, at: datetime) -> int | None:
    """The time step whose code ``code`` is, within the allowed drift; None if none."""
    digits = clean_code(code)
    if digits is None or not secret:
        return None
    current = totp_step(at)
    matched: int | None = None
    # Compare with every candidate, in constant time, before deciding.
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp_code(secret, step), digits) and matched is None:
            matched = step
    return matched


def last_used_totp_step(session: Session, user_id: int) -> int | None:
    row = session.get(LoginThrottle, f"{_TOTP_USED_PREFIX}{user_id}")
    return None if row is None else totp_step(row.window_started_at)


def use_totp_code(session: Session, user: StaffUser, code: str, *, at: datetime) -> bool:
    """Accept a code once: a code (or an older one) that has been used is refused.

    The last used step is kept in LoginThrottle under ``totp-used:<user id>``, so the replay
    check holds across workers. Call inside a write transaction.
    """
    if not user.totp_secret or user.id is None:
        return False
    step = matching_totp_step(user.totp_secret, code, at=at)
    if step is None:
        return False
    key = f"{_TOTP_USED_PREFIX}{user.id}"
    row = _throttle_row_for_update(session, key, now=at)
    if row.failures > 0 and totp_step(row.window_started_at) >= step:
        return False  # replayed
    row.window_started_at = datetime.fromtimestamp(step * TOTP_INTERVAL, UTC)
    row.failures = 1  # marks "a code has been used"
    session.flush()
    return True


# --------------------------------------------------------------------------- throttling


@dataclass(frozen=True)
class ThrottlePolicy:
    """At most ``max_failures`` failed attempts within ``window``; then locked for ``lockout``."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


DEFAULT_THROTTLE = ThrottlePolicy()


def login_throttle_key(username: str, secret: str | bytes) -> str:
    """The throttle key for a typed username. Keyed-hashed, because people sometimes type
    their password into the username field; the raw text is never stored."""
    key = secret.encode() if isinstance(secret, str) else secret
    name = canonical_username(username)[:200].encode("utf-8")
    return "login:" + hmac.new(key, name, hashlib.sha256).hexdigest()


def _throttle_row_for_update(session: Session, key: str, *, now: datetime) -> LoginThrottle:
    """The row for ``key``, locked for this transaction (created when missing)."""
    query = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    row = session.exec(query.execution_options(populate_existing=True)).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, window_started_at=now, failures=0)
            session.add(row)
            session.flush()
        return row
    except IntegrityError:  # another worker created it a moment ago
        return session.exec(query.execution_options(populate_existing=True)).one()


def locked_until(session: Session, key: str, *, now: datetime) -> datetime | None:
    """When the lock on ``key`` ends, or None when it is not locked."""
    row = session.get(LoginThrottle, key)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def record_login_failure(
    session: Session, key: str, *, now: datetime, policy: ThrottlePolicy = DEFAULT_THROTTLE
) -> datetime | None:
    """Count one failure; returns the end of the lock if ``key`` is (now) locked.

    The row is locked (PostgreSQL: SELECT … FOR UPDATE; SQLite: the write transaction), so
    failures counted at the same moment by two workers are both counted.
    """
    row = _throttle_row_for_update(session, key, now=now)
    if row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    if row.locked_until is not None or now - row.window_started_at > policy.window:
        row.window_started_at = now
        row.failures = 0
        row.locked_until = None
    row.failures += 1
    if row.failures >= policy.max_failures:
        row.locked_until = now + policy.lockout
    session.flush()
    return row.locked_until


def clear_login_failures(session: Session, key: str) -> None:
    row = session.get(LoginThrottle, key)
    if row is not None:
        session.delete(row)
        session.flush()


# --------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionPolicy:
    """A session ends after ``idle`` without requests, and ``absolute`` after it started."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


MAX_IDLE = timedelta(minutes=30)


def new_session_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def session_id_for(token: str) -> str:
    """The StaffSession.id stored for a token: its SHA-256 in hex (64 characters)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    session: Session, user_id: int, *, now: datetime, second_factor_done: bool = False
) -> str:
    """A new session row; returns the token for the cookie (only its hash is stored)."""
    token = new_session_token()
    session.add(
        StaffSession(
            id=session_id_for(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            second_factor_done=second_factor_done,
        )
    )
    session.flush()
    return token


def end_session(session: Session, token: str | None, *, now: datetime) -> StaffSession | None:
    """Mark the token's session ended: the token (and any copy of it) is refused from now on."""
    if not token:
        return None
    record = session.get(StaffSession, session_id_for(token))
    if record is not None and record.ended_at is None:
        record.ended_at = now
        session.flush()
    return record


def end_user_sessions(
    session: Session, user_id: int, *, now: datetime, keep_token: str | None = None
) -> int:
    """End every open session of a user (except ``keep_token``'s); returns how many."""
    keep = session_id_for(keep_token) if keep_token else None
    records = session.exec(
        select(StaffSession).where(
            StaffSession.user_id == user_id,
            StaffSession.ended_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    ended = 0
    for record in records:
        if record.id != keep:
            record.ended_at = now
            ended += 1
    session.flush()
    return ended


@dataclass(frozen=True)
class SessionCheck:
    """The outcome of looking up a token: ``reason`` is None when the session may be used."""

    record: StaffSession | None
    user: StaffUser | None
    reason: str | None  # missing, ended, idle, expired, inactive


def check_session(
    session: Session, token: str | None, *, now: datetime, policy: SessionPolicy
) -> SessionCheck:
    """Look up a token; a usable session has its last_seen_at moved to ``now``.

    An idle, expired or deactivated session is ended here, so it cannot come back.
    """
    if not token:
        return SessionCheck(None, None, "missing")
    record = session.get(StaffSession, session_id_for(token))
    if record is None:
        return SessionCheck(None, None, "missing")
    user = session.get(StaffUser, record.user_id)
    if record.ended_at is not None:
        return SessionCheck(record, user, "ended")
    reason = None
    if user is None or not user.active:
        reason = "inactive"
    elif now - record.last_seen_at > min(policy.idle, MAX_IDLE):
        reason = "idle"
    elif now - record.created_at > policy.absolute:
        reason = "expired"
    if reason is not None:
        record.ended_at = now
        session.flush()
        return SessionCheck(record, user, reason)
    record.last_seen_at = now
    session.flush()
    return SessionCheck(record, user, None)


# --------------------------------------------------------------------------- audit

#: The events written by staff login. Other features add their own (review, paper_entry, …).
AUDIT_EVENTS = frozenset(
    {
        "login",
        "login_failed",
        "login_locked",
        "logout",
        "refused",
        "session_ended",
        "totp_enrolled",
        "password_changed",
        "user_created",
        "user_updated",
    }
)
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# Identifiers, role and group codes, paths, endpoints: nothing a person wrote.
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.:/@-]{0,200}$")
NOT_RECORDED = "not_recorded"


def _safe_value(value: Any) -> bool:
    if value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, str):
        return bool(_SAFE_TEXT.match(value))
    if isinstance(value, list | tuple):
        return len(value) <= 20 and all(
            isinstance(item, str | int) and _safe_value(item) for item in value
        )
    return False


def _safe_key(key: Any) -> bool:
    return isinstance(key, str) and bool(_SAFE_TEXT.match(key)) and 0 < len(key) <= 40


def safe_audit_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """``detail`` with every value that is not a short code replaced by "not_recorded".

    For details built from request data (a query parameter, say): the event is still
    written, without what the visitor typed.
    """
    return {
        key if _safe_key(key) else NOT_RECORDED: value if _safe_value(value) else NOT_RECORDED
        for key, value in (detail or {}).items()
    }


def record_audit(
    session: Session,
    event: str,
    *,
    user_id: int | None = None,
    username: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an audit row. Only short codes: never passwords, one-time codes or free text.

    Raises ValueError for a malformed event name or a detail value that is not a short code
    (see :func:`safe_audit_detail` for details built from request data).
    """
    if not EVENT_NAME.match(event):
        raise ValueError(f"audit event {event!r} is not a short lower-case name")
    detail = dict(detail or {})
    for key, value in detail.items():
        if not (_safe_key(key) and _safe_value(value)):
            raise ValueError(f"audit detail {key!r} is not a short code")
    if username is not None and not USERNAME_PATTERN.match(username):
        raise ValueError("audit username must be an existing account's name")
    row = AuditEvent(
        at=at or utcnow(),
        event=event,
        user_id=user_id,
        username=username,
        detail={
            key: list(value) if isinstance(value, tuple) else value for key, value in detail.items()
        },
    )
    session.add(row)
    session.flush()
    return row
