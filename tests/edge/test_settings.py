"""Settings from the environment: lists in either form, and a bad value stops the start
with a message naming the variable and the form it takes, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gql_crm.cli import main
from gql_crm.settings import ConfigurationError, load_settings


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("GQL_CRM_DATABASE_URL", "GQL_CRM_REDIS_URL", "GQL_CRM_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GQL_CRM_DATA_DIR", str(tmp_path))
    return monkeypatch


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("http://localhost:3000", ["http://localhost:3000"]),
        (
            " https://crm.example.com , http://localhost:3000",
            ["http://localhost:3000", "https://crm.example.com"],
        ),
        ('["https://CRM.example.com:443/"]', ["https://crm.example.com"]),
        ("", []),
    ],
)
def test_origins_are_a_comma_separated_or_a_json_list(
    environment: pytest.MonkeyPatch, value: str, origins: list[str]
) -> None:
    environment.setenv("GQL_CRM_ALLOWED_ORIGINS", value)
    assert load_settings().allowed_origins == origins


def test_content_types_take_a_comma_separated_list_too(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("GQL_CRM_ATTACHMENT_CONTENT_TYPES", "application/pdf,text/plain")
    assert load_settings().attachment_content_types == ["application/pdf", "text/plain"]


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("GQL_CRM_ALLOWED_ORIGINS", "localhost:3000", "a scheme, a host and an optional port"),
        ("GQL_CRM_ALLOWED_ORIGINS", "https://crm.example.com/app", "without a path"),
        ("GQL_CRM_ALLOWED_ORIGINS", '["https://a.example', "is not a valid JSON list"),
        ("GQL_CRM_MAX_BODY_BYTES", "4MB", "expected a whole number greater than 0"),
        ("GQL_CRM_MAX_CONNECTIONS_PER_USER", "0", "expected a whole number greater than 0"),
        ("GQL_CRM_DEBUG", "maybe", "expected true or false"),
        ("GQL_CRM_DB_RANDOM_PAGE_COST", "fast", "expected a number greater than 0, or unset"),
        ("GQL_CRM_DB_RANDOM_PAGE_COST", "0", "expected a number greater than 0, or unset"),
        ("GQL_CRM_RATE_LIMIT", "lots", "give rates such as 20/second;600/minute"),
    ],
)
def test_a_bad_value_names_its_variable_and_form(
    environment: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    environment.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert f"{variable}={value!r}" in str(raised.value)
    assert says in str(raised.value)


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["migrate"]])
def test_commands_stop_with_the_message_not_a_traceback(
    environment: pytest.MonkeyPatch, command: list[str]
) -> None:
    environment.setenv("GQL_CRM_ALLOWED_ORIGINS", "localhost:3000")
    environment.setenv("GQL_CRM_MAX_PAGE_SIZE", "many")
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2
    assert "GQL_CRM_ALLOWED_ORIGINS='localhost:3000'" in result.output
    assert "GQL_CRM_MAX_PAGE_SIZE='many'" in result.output
    assert "Traceback" not in result.output and "pydantic" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
