"""Configuration: file + FRONTDESK__ environment, one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from desk.errors import ConfigError
from desk.settings import load_settings
from tests.conftest import ROOT, env, file_config


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_repository_config_has_every_contract_key() -> None:
    s = load_settings(ROOT / "config.yml")
    assert s.database.url == "sqlite:///./var/frontdesk.db"
    assert s.http.port == 8000
    assert s.channels.email.smtp_port == 8025
    assert s.nlu.backend == "embedded"
    assert s.sla.policies[0].targets["P1"].response == "15m"
    assert s.calendar("office").tz.key == "Asia/Shanghai"
    assert s.channels.telegram.token is None  # secrets never come from the committed file


def test_environment_overrides_nested_keys_and_secrets_stay_secret(tmp_path: Path) -> None:
    path = write(tmp_path, file_config())
    with env(
        FRONTDESK__DATABASE__URL="postgresql://db.example/frontdesk",
        FRONTDESK__HTTP__PORT="9001",
        FRONTDESK__CHANNELS__TELEGRAM__TOKEN="123:abc",
    ):
        s = load_settings(path)
    assert s.database.url == "postgresql://db.example/frontdesk"
    assert s.http.port == 9001
    assert s.channels.telegram.token is not None
    assert s.channels.telegram.token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(s)
    # Untouched keys keep the file's values (deep merge, not replacement).
    assert s.channels.email.smtp_port == 8025


def test_frontdesk_config_variable_picks_the_file(tmp_path: Path) -> None:
    data = file_config()
    data["http"] = {"host": "0.0.0.0", "port": 8123}
    with env(FRONTDESK_CONFIG=str(write(tmp_path, data))):
        assert load_settings().http.port == 8123


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"http": {"port": "eighty"}}, "config error: http.port: Input should be a valid integer"),
        ({"databse": {"url": "x"}}, "config error: databse: unknown key"),
        ({"nlu": {"backend": "gpt"}}, "config error: nlu.backend"),
        (
            {
                "sla": {
                    "policies": [
                        {
                            "name": "x",
                            "calendar": "office",
                            "targets": {"P1": {"response": "soon", "resolution": "4h"}},
                        }
                    ]
                }
            },
            "sla.policies.0.targets.P1.response: invalid duration 'soon'",
        ),
        (
            {"sla": {"policies": [{"name": "x", "calendar": "moon", "targets": {}}]}},
            "sla.policies.0.calendar: no calendar named 'moon'",
        ),
        (
            {"calendars": {"office": {"hours": {"mon": "9-5"}}}},
            "calendars: Value error, office: invalid slot",
        ),
        ({"priority": {"matrix": {"high": {"high": "P9"}}}}, "priority: matrix[high][high] must be one of"),
        (
            {
                "sla": {
                    "policies": [{"name": "x", "calendar": "office", "types": ["incidents"], "targets": {}}]
                }
            },
            "sla.policies.0.types: unknown ticket type 'incidents'; use incident, request, problem",
        ),
    ],
)
def test_bad_values_give_one_line_naming_the_key(
    tmp_path: Path, patch: dict[str, object], message: str
) -> None:
    data = file_config()
    data.update(patch)
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, data))
    text = str(err.value)
    assert "\n" not in text
    assert message.replace("Value error, ", "") in text.replace("Value error, ", "")


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("http: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken.yml:\d+: not valid YAML"):
        load_settings(broken)
