"""The installed ``frontdesk`` command, run as an operator would: real processes, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fakes.smtp import free_port

FRONTDESK = Path(sys.executable).parent / "frontdesk"


def run(
    tmp: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FRONTDESK), *args],
        cwd=tmp,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FRONTDESK__DATABASE__URL": f"sqlite:///{tmp / 'var' / 'fd.db'}", **(env or {})},
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config.yml", tmp_path / "config.yml")
    return tmp_path


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database that ``frontdesk db upgrade`` brought to the latest schema, made once (each
    run of it takes about two seconds)."""
    where = tmp_path_factory.mktemp("migrated")
    shutil.copy(ROOT / "config.yml", where / "config.yml")
    done = run(where, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    return where / "var" / "fd.db"


@pytest.fixture
def upgraded(workdir: Path, migrated: Path) -> Path:
    """A working directory whose database is at the latest schema."""
    (workdir / "var").mkdir()
    shutil.copy(migrated, workdir / "var" / "fd.db")
    return workdir


def test_help_lists_the_commands(workdir: Path) -> None:
    out = run(workdir, "--help")
    assert out.returncode == 0
    for command in ("serve", "db", "seed", "agent"):
        assert command in out.stdout


def test_upgrade_seed_twice_and_add_an_agent(workdir: Path) -> None:
    assert run(workdir, "db", "upgrade").returncode == 0
    first = run(workdir, "seed", "--demo")
    assert first.returncode == 0 and "created 3 groups, 6 agents, 12 categories" in first.stdout
    second = run(workdir, "seed", "--demo")
    assert (
        second.returncode == 0
        and "created 0 groups, 0 agents, 0 categories, 0 KB articles, 0 saved replies" in second.stdout
    )
    reindexed = run(workdir, "kb", "reindex")
    assert (reindexed.returncode, reindexed.stdout) == (0, "re-indexed 15 articles\n")
    found = run(workdir, "kb", "search", "wifi", "--lang", "en")
    assert [h["title"] for h in json.loads(found.stdout)] == ["Wi-Fi keeps disconnecting"]
    added = run(
        workdir, "agent", "add", "--email", "Ops@Example.com", "--name", "Ops", "--group", "Network",
        "--role", "supervisor", "--password-stdin", stdin="correct horse battery\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("fd_") and len(token) > 40 and "\n" not in token
    dup = run(workdir, "agent", "add", "--email", "ops@example.com", "--name", "Again")
    assert dup.returncode == 2 and dup.stderr.strip() == "frontdesk: agent ops@example.com exists"
    # A forgotten password is set again from the command line (asked twice without --password-stdin).
    short = run(
        workdir, "agent", "password", "--email", "ops@example.com", "--password-stdin", stdin="2short\n"
    )
    assert (
        short.returncode == 2 and short.stderr.strip() == "frontdesk: a password needs at least 8 characters"
    )
    typed = run(
        workdir, "agent", "password", "--email", "OPS@example.com", stdin="staple battery\nstaple battery\n"
    )
    assert typed.returncode == 0, typed.stderr
    assert (
        typed.stdout.splitlines()[-1]
        == "password changed for ops@example.com; 0 console session(s) signed out"
    )
    mistyped = run(
        workdir, "agent", "password", "--email", "ops@example.com", stdin="staple battery\nstapler\n"
    )
    assert mistyped.returncode != 0 and "do not match" in mistyped.stdout + mistyped.stderr
    # A lost token is replaced by a new, named one; the console lists both, by name.
    made = run(workdir, "agent", "token", "--email", "ops@example.com", "--name", "Grafana")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("fd_") and made.stdout.strip() != token


SETUP = ROOT / "tests" / "fixtures" / "acme-setup.yml"


# What a desk set up from tests/fixtures/acme-setup.yml changes in the shipped configuration.
ACME_CONFIG = {
    "FRONTDESK__DESK__DEFAULT_GROUP": "IT Support",
    "FRONTDESK__BOT__DEVICE_CATEGORIES": "[]",
    "FRONTDESK__BOT__FOREMOST_CATEGORIES": "[]",
    "FRONTDESK__BOT__REQUESTS": "[]",
}


def test_a_desk_is_set_up_from_its_own_file(upgraded: Path, nlu_model: Path) -> None:
    # Only the demo could be loaded: a real desk had no way to get its own categories.
    workdir = upgraded
    shutil.copy(SETUP, workdir / "acme.yml")
    first = run(workdir, "seed", "acme.yml")
    assert first.returncode == 0, first.stderr
    told, warned = first.stdout.splitlines()[:3], first.stdout.splitlines()[3:]
    assert told == [
        "created 2 groups, 2 agents, 2 categories, 1 KB articles, 1 saved replies",
        "ops.lead@acme.example has no password yet: frontdesk agent password --email ops.lead@acme.example",
        "sam@acme.example has no password yet: frontdesk agent password --email sam@acme.example",
    ]
    # The shipped configuration names the demo's group and categories: said, not left to find out
    # when the bot's tickets sit in no group's queue.
    assert warned[0] == (
        "warning: the configuration names group 'Service Desk', which this desk does not have"
        " (desk.default_group): create it or change the configuration"
    )
    assert any("category 'hardware'" in w and "bot.device_categories" in w for w in warned), warned
    assert all(w.startswith("warning: the configuration names category '") for w in warned[1:]), warned
    again = run(workdir, "seed", "acme.yml", env=ACME_CONFIG)
    assert again.stdout == "created 0 groups, 0 agents, 0 categories, 0 KB articles, 0 saved replies\n"
    found = run(workdir, "kb", "search", "wifi")
    assert [h["title"] for h in json.loads(found.stdout)] == ["Connect to ACME-WiFi"]
    password = run(workdir, "agent", "password", "--email", "ops.lead@acme.example", "--password-stdin",
                   stdin="acme-admin-1\n")  # fmt: skip
    assert password.returncode == 0, password.stderr
    started = _serve_until_running(workdir, nlu_model)
    assert (
        "WARNING frontdesk: the configuration names group 'Service Desk', which this desk does not have"
        " (desk.default_group)" in started
    ), started

    # A bad file is refused in one line, and nothing of it is written.
    for text, said in (
        (
            "groups:\n  - {name: Night, calendar: lunar}\n",
            "Night: no calendar 'lunar' (calendars: always, office)",
        ),
        ("groups:\n  - {name: G, routing: fastest}\n", "acme2.yml: groups.0.routing: Input should be"),
        ("groups: [\n", "acme2.yml is not YAML (line 2):"),
        ("groupz: []\n", "acme2.yml: groupz: Extra inputs are not permitted"),
        (
            "groups:\n  - {name: Printers}\ncategories:\n  - {path: printers/laser}\n",
            "no category 'printers'",
        ),
    ):
        (workdir / "acme2.yml").write_text(text, encoding="utf-8")
        bad = run(workdir, "seed", "acme2.yml")
        assert bad.returncode == 2 and bad.stderr.startswith(f"frontdesk: {said}"), bad.stderr
    (workdir / "acme2.yml").write_text("groups:\n  - {name: Printers}\n", encoding="utf-8")
    assert run(workdir, "seed", "acme2.yml").stdout.startswith("created 1 groups")  # it was not kept


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["agent", "add", "--email", "x@example.com"], {}, "Missing option '--name'"),
        (["seed"], {}, "say what to load: --demo, or a FILE"),
        (["seed", "--demo", "acme.yml"], {}, "say what to load: --demo, or a FILE (not both)"),
        (["seed", "missing.yml"], {}, "cannot read missing.yml: No such file or directory"),
        (["db", "upgrade"], {"FRONTDESK__HTTP__PORT": "eighty"}, "config error: http.port"),
        (["--config", "missing.yml", "db", "upgrade"], {}, "config file 'missing.yml' not found"),
        (["agent", "add", "--email", "a@b.example", "--name", "A", "--group", "Nope"], {}, "no group 'Nope'"),
        (
            ["agent", "password", "--email", "ghost@b.example", "--password-stdin"],
            {},
            "no agent 'ghost@b.example'",
        ),
        (["agent", "token", "--email", "ghost@b.example"], {}, "no agent 'ghost@b.example'"),
        (["agent", "token", "--email", "a@b.example", "--name", "console"], {}, "names console sign-ins"),
        (["frobnicate"], {}, "No such command 'frobnicate'"),
    ],
)
def test_errors_are_one_line_and_status_2(
    upgraded: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    out = run(upgraded, *args, env=env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], out.stderr


def _serve_until_running(workdir: Path, nlu_model: Path) -> str:
    """What ``frontdesk serve`` logs until it listens; then it is stopped."""
    env = {
        **os.environ,
        "FRONTDESK__NLU__MODEL_PATH": str(nlu_model),
        "FRONTDESK__DATABASE__URL": f"sqlite:///{workdir / 'var' / 'fd.db'}",
        "FRONTDESK__CHANNELS__EMAIL__SMTP_PORT": str(free_port()),
    }
    proc = subprocess.Popen(
        [str(FRONTDESK), "serve", "--port", str(free_port())],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    with proc, proc.stdout as out:  # type: ignore[union-attr]
        try:
            for line in out:  # ends if serve exits
                lines.append(line)
                if "Uvicorn running on" in line:
                    break
        finally:
            proc.terminate()
    return "".join(lines)


def test_serve_refuses_an_unmigrated_database(workdir: Path) -> None:
    out = run(workdir, "serve", "--port", "0")
    assert out.returncode != 0
    assert "run `frontdesk db upgrade`" in out.stderr


def test_chat_in_the_terminal(upgraded: Path, nlu_model: Path) -> None:
    workdir = upgraded
    run(workdir, "seed", "--demo")
    script = "hello\n4\n/quit\n"
    out = run(
        workdir, "chat", "--user", "term-user", stdin=script,
        env={"FRONTDESK__NLU__MODEL_PATH": str(nlu_model)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "bot> Hi! I'm the IT service desk assistant." in out.stdout  # an id is not a name
    assert "    4) Talk to a person" in out.stdout  # buttons as numbered options
    assert "INC-1" in out.stdout  # "4" picked "talk to a person": a ticket and the queue
    zh = run(workdir, "chat", "--user", "term-user-2", "--lang", "zh", stdin="我的工单\n",
             env={"FRONTDESK__NLU__MODEL_PATH": str(nlu_model)})  # fmt: skip
    assert "您没有未关闭的工单" in zh.stdout


def test_report_as_json_and_csv_and_a_bad_date(upgraded: Path) -> None:
    workdir = upgraded
    out = run(workdir, "report", "--from", "2026-01-01")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["tickets_created"] == 0
    out = run(workdir, "report", "--from", "2026-01-01", "--to", "2026-02-01", "--format", "csv")
    assert out.stdout.startswith("metric,value\n") and "tickets_created,0" in out.stdout
    bad = run(workdir, "report", "--from", "soon")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "'soon' is not a date" in bad.stderr
