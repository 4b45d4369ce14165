"""Shared fixtures: a database per test on SQLite, or on PostgreSQL when configured.

TENDERPROOF_TEST_DATABASE_URL=postgresql://… runs every database test on PostgreSQL, each test
in a schema of its own. Tests that need PostgreSQL itself skip only when no such URL is set, and
fail when it is set but the server cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

from tenderproof.instance import Settings, init
from tenderproof.store.db import normalize_url

SHARED = Path(__file__).resolve().parents[2] / "shared"
PG_ENV = "TENDERPROOF_TEST_DATABASE_URL"

# Properties assert what holds, never how fast: no per-example deadline on a shared, noisy machine.
settings.register_profile("tenderproof", deadline=None)
settings.load_profile("tenderproof")


def shared_testdata(*parts: str) -> Path:
    path = SHARED.joinpath("testdata", *parts)
    if not path.exists():
        pytest.fail(f"official test data missing: {path} (expected ../shared beside the project)")
    return path


def _pg_schema_url(base: str):
    engine = sa.create_engine(normalize_url(base))
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError as e:
        pytest.fail(f"{PG_ENV} is set but PostgreSQL cannot be reached: {e.orig}")
    url = sa.engine.make_url(normalize_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    return engine, schema, url.render_as_string(hide_password=False)


@pytest.fixture
def pg_url():
    """A PostgreSQL URL with a fresh schema; only for tests that need PostgreSQL itself."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}")
    engine, schema, url = _pg_schema_url(base)
    yield url
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def db_url(tmp_path):
    """The suite's database: PostgreSQL when configured, else SQLite in the test's data dir."""
    base = os.environ.get(PG_ENV)
    if not base:
        yield f"sqlite:///{tmp_path / 'data' / 'tenderproof.db'}"
        return
    engine, schema, url = _pg_schema_url(base)
    yield url
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def settings(tmp_path, db_url) -> Settings:
    return Settings(tmp_path / "data", db_url)


@pytest.fixture
def log(settings):
    """An initialized log that can sign checkpoints."""
    lg = init(settings, origin="test.tenderproof.localhost/log")
    yield lg
    lg.db.dispose()
