"""Research fixtures: the staff fixtures, the research pages registered, seeded answers."""

from __future__ import annotations

import pytest
from flask import Flask

from survey import research
from tests.survey.staff.conftest import (  # noqa: F401
    clock,
    fast_password_hashing,
    logged_in,
    staff_app,
    staff_user,
)


@pytest.fixture(autouse=True)
def research_app(staff_app: Flask) -> Flask:  # noqa: F811
    """The test app with the research pages (a no-op once create_app registers them)."""
    if "research" not in staff_app.blueprints:
        research.init_app(staff_app)
    return staff_app
