"""Configuration: safe defaults, and no production start with the development secret."""

from __future__ import annotations

import pytest

from survey import create_app
from survey.config import ConfigError, from_environment


def test_production_refuses_the_development_secret(database_url):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": database_url})


def test_production_starts_with_a_real_secret(database_url):
    app = create_app(
        {"ENV_NAME": "production", "SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": database_url}
    )

    assert app.config["SESSION_COOKIE_SECURE"] is False  # set by the mapping, not the env
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_environment_overrides_database_and_secure_cookies():
    config = from_environment(
        {"DATABASE_URL": "postgresql://u@h/db", "VIKTIGT_ENV": "production", "SECRET_KEY": "k"}
    )

    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql://u@h/db"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["ENV_NAME"] == "production"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    config = from_environment({"VIKTIGT_INSTANCE": str(tmp_path)})

    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/viktigt.sqlite3"
