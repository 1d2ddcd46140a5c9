"""API tokens for researchers' scripts. Plain Python; the caller owns the transaction.

A token is shown once, when it is made; the table keeps only its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlmodel import Session, select

from survey.models import ApiToken, StaffUser
from survey.staff.auth import has_role

TOKEN_PREFIX = "vkt_"
EXPORT_ROLES = ("researcher", "admin")
MAX_NAME_LENGTH = 80


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    *, session: Session, user_id: int, name: str, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user_id``: the row and the token itself (show it once, keep nothing)."""
    name = name.strip()[:MAX_NAME_LENGTH] or "API"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=token_hash(token),
        created_at=now or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row, token


def revoke_token(
    *, session: Session, user_id: int, token_id: int, now: datetime | None = None
) -> bool:
    """Revoke one of ``user_id``'s tokens; False when there is no such (active) token."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return False
    row.revoked_at = now or datetime.now(UTC)
    session.add(row)
    session.flush()
    return True


def tokens_of(*, session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
        ).all()
    )


def user_for_token(
    *, session: Session, token: str, now: datetime | None = None
) -> tuple[StaffUser | None, str]:
    """The active account behind a token that may export, and why not ("" when it may).

    Marks the token as used.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None, "malformed"
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None:
        return None, "unknown"
    if row.revoked_at is not None:
        return None, "revoked"
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None, "inactive"
    if not has_role(user, *EXPORT_ROLES):
        return user, "role"
    row.last_used_at = now or datetime.now(UTC)
    session.add(row)
    session.flush()
    return user, ""
