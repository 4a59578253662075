"""``frontdesk``: the command line (CONTRACT §3). Wrong arguments and bad input: one line, status 2.

Each command imports what it needs when it runs: the desk, SQLAlchemy and the NLU take more than
a second to load, and ``frontdesk --help`` or a mistyped option should not wait for them.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bots.nlu_cli import nlu

if TYPE_CHECKING:
    from desk.context import Desk
    from desk.settings import Settings

__all__ = ["cli", "main"]

T = TypeVar("T")


def _settings(ctx: click.Context) -> Settings:
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "settings" not in obj:
        from desk.settings import load_settings

        obj["settings"] = load_settings(obj.get("config"))
    settings: Settings = obj["settings"]
    return settings


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.ensure_object(dict)["config"] = value
    return value


def config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--config FILE`` on the group and on each command that reads settings."""
    return click.option(
        "--config",
        "config",
        metavar="FILE",
        expose_value=False,
        is_eager=True,
        callback=_remember_config,
        help="Configuration file (default: $FRONTDESK_CONFIG, else ./config.yml).",
    )(f)


def _run_with_desk(settings: Settings, work: Callable[[Desk], Coroutine[Any, Any, T]]) -> T:
    from desk.context import Desk
    from desk.db import Database

    async def go() -> T:
        desk = Desk(settings=settings, db=Database(settings.database.url))
        try:
            return await work(desk)
        finally:
            await desk.db.dispose()

    return asyncio.run(go())


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@config_option
def cli() -> None:
    """Frontdesk: a chat-first IT service desk."""


@cli.command()
@config_option
@click.option("--host", help="Listen address (default: http.host).")
@click.option("--port", type=int, help="Listen port (default: http.port).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the HTTP API, outbox delivery and the scheduler in one process."""
    settings = _settings(ctx)
    if host or port is not None:
        http = settings.http.model_copy(
            update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
        )
        settings = settings.model_copy(update={"http": http})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The channels' SDKs load only for the commands that run them (serve, chat).
    from bots.wiring import serve as serve_process

    asyncio.run(serve_process(settings))


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@config_option
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply migrations (Alembic) to database.url."""
    from desk.migrate import upgrade

    settings = _settings(ctx)
    upgrade(settings.database.url)
    click.echo("database is at the latest schema")


@cli.command()
@config_option
@click.option("--demo", is_flag=True, help="Load the demo groups, agents, categories and KB articles.")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def seed(ctx: click.Context, demo: bool, file: Path | None) -> None:
    """Load a desk's groups, agents, categories, KB articles and saved replies from a YAML FILE
    (desk/demo.yml shows the format), or the demo's with --demo. Idempotent: what exists is
    left alone, so running it twice changes nothing. Agents from a FILE get no password."""
    if demo == (file is not None):
        raise click.UsageError("say what to load: --demo, or a FILE (not both)")
    from desk.seed import missing_from_desk, seed_demo, seed_file

    settings = _settings(ctx)

    async def work(desk: Desk) -> str:
        async with desk.session() as session:
            told = str(
                await seed_demo(session, desk) if file is None else await seed_file(session, desk, file)
            )
            missing = await missing_from_desk(session, settings)  # what was just seeded included
        return "\n".join([told, *(f"warning: {line}" for line in missing)])

    click.echo(_run_with_desk(settings, work))


@cli.group()
def agent() -> None:
    """Agents."""


@agent.command("add")
@config_option
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--group", "groups", multiple=True, help="Group name (repeatable).")
@click.option(
    "--role", type=click.Choice(["agent", "supervisor", "admin"]), default="agent", show_default=True
)
@click.option("--password-stdin", is_flag=True, help="Read a console password from the first line of stdin.")
@click.pass_context
def agent_add(
    ctx: click.Context, email: str, name: str, groups: tuple[str, ...], role: str, password_stdin: bool
) -> None:
    """Create an agent; print a new API token on stdout (shown only this once)."""
    from desk.agents import create_agent, issue_token

    settings = _settings(ctx)
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")  # create_agent checks it

    async def work(desk: Desk) -> str:
        async with desk.session() as session:
            new = await create_agent(
                session, email=email, name=name, role=role, groups=groups, password=password
            )
            return await issue_token(session, new, "cli")

    click.echo(_run_with_desk(settings, work))


@agent.command("password")
@config_option
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
@click.pass_context
def agent_password(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Set an agent's console password (asked for twice unless --password-stdin); signs out
    their console sessions. API tokens keep working."""
    from desk.agents import find_agent, set_password

    settings = _settings(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)

    async def work(desk: Desk) -> str:
        async with desk.session() as session:
            found = await find_agent(session, email)
            ended = await set_password(session, found, password, desk.now())
            return f"password changed for {found.email}; {ended} console session(s) signed out"

    click.echo(_run_with_desk(settings, work))


@agent.command("token")
@config_option
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True, help="What will use it (shown in the console).")
@click.pass_context
def agent_token(ctx: click.Context, email: str, name: str) -> None:
    """Print a new API token for an agent on stdout (shown only this once; the agent and admins
    see it, by name, in the console and revoke it there or with DELETE /api/v1/tokens/{id})."""
    from desk.agents import find_agent, named_token, token_name

    settings = _settings(ctx)
    name = token_name(name)  # refused before the database is asked

    async def work(desk: Desk) -> str:
        async with desk.session() as session:
            return (await named_token(session, await find_agent(session, email), name))[0]

    click.echo(_run_with_desk(settings, work))


@cli.command()
@config_option
@click.option("--user", default=lambda: f"cli-{getpass.getuser()}", help="Who you are (the REST sender id).")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Answer in this language.")
@click.pass_context
def chat(ctx: click.Context, user: str, lang: str | None) -> None:
    """Talk to the bot in the terminal, as the REST channel does."""
    settings = _settings(ctx)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    async def go() -> None:
        from bots.terminal import run_chat
        from bots.wiring import build_runtime
        from desk.migrate import pending_migrations

        pending = await pending_migrations(settings.database.url)
        if pending:
            raise click.UsageError("the database needs migrations; run `frontdesk db upgrade`")
        runtime = build_runtime(settings)
        try:
            await run_chat(runtime, user, lang)
        finally:
            await runtime.desk.db.dispose()

    asyncio.run(go())


@cli.group()
def kb() -> None:
    """Knowledge base."""


@kb.command("import")
@config_option
@click.argument("source", type=click.Path(path_type=Path))
@click.pass_context
def kb_import(ctx: click.Context, source: Path) -> None:
    """Load articles from a JSON/YAML list, a CSV, or a folder of Markdown files."""
    from desk.kb import import_articles
    from desk.kb_import import read_articles

    settings = _settings(ctx)
    items = read_articles(source)

    async def work(desk: Desk) -> str:
        async with desk.session() as session:
            return str(await import_articles(session, desk, items))

    click.echo(_run_with_desk(settings, work))


@kb.command("reindex")
@config_option
@click.pass_context
def kb_reindex(ctx: click.Context) -> None:
    """Index every article again and count its terms again (migrations do it when the rules change).

    One transaction; run it while nobody is editing articles."""
    from desk.kb import rebuild_search_index

    settings = _settings(ctx)

    async def work(desk: Desk) -> int:
        async with desk.session() as session:
            return await session.run_sync(lambda sync: rebuild_search_index(sync.connection()))

    click.echo(f"re-indexed {_run_with_desk(settings, work)} articles")


@kb.command("search")
@config_option
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Only articles in this language.")
@click.pass_context
def kb_search(ctx: click.Context, query: str, limit: int, lang: str | None) -> None:
    """Search published articles; prints a JSON list of {id, title, score}."""
    from desk.kb import search_articles

    settings = _settings(ctx)

    async def work(desk: Desk) -> list[dict[str, Any]]:
        async with desk.session() as session:
            hits = await search_articles(session, query, language=lang, limit=limit)
            return [{"id": h.article.id, "title": h.article.title, "score": h.score} for h in hits]

    click.echo(json.dumps(_run_with_desk(settings, work), ensure_ascii=False, indent=2))


@cli.command()
@config_option
@click.option(
    "--from", "start", help="First day (YYYY-MM-DD, the desk's day) or ISO time; default 30 days ago."
)
@click.option("--to", "end", help="End, exclusive; default now.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.pass_context
def report(ctx: click.Context, start: str | None, end: str | None, fmt: str) -> None:
    """The summary report: volume, response and resolution times, SLA, satisfaction, deflection."""
    from desk.reports import parse_period, summary, summary_csv

    settings = _settings(ctx)

    async def work(desk: Desk) -> dict[str, Any]:
        period = parse_period(desk, start, end)
        async with desk.session() as session:
            return await summary(session, desk, period)

    data = _run_with_desk(settings, work)
    click.echo(
        summary_csv(data) if fmt == "csv" else json.dumps(data, ensure_ascii=False, indent=2),
        nl=fmt == "json",
    )


cli.add_command(nlu)


def _expected(exc: Exception) -> str | None:
    """The one line for a failure the user can act on (bad input or configuration, a database
    that cannot be reached), or None for a bug, whose trace is wanted."""
    from sqlalchemy.exc import SQLAlchemyError

    from desk.errors import ConfigError, DeskError

    if isinstance(exc, DeskError | ConfigError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, SQLAlchemyError):
        return "database error: " + str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the group and turns every expected failure into one line and status 2."""
    try:
        code = cli.main(args=argv, prog_name="frontdesk", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.exceptions.Abort:
        click.echo("frontdesk: aborted", err=True)
        code = 130
    except click.ClickException as exc:
        click.echo(f"frontdesk: {exc.format_message()}".splitlines()[0], err=True)
        code = 2
    except OSError as exc:
        click.echo(f"frontdesk: {exc}", err=True)
        code = 2
    except Exception as exc:
        line = _expected(exc)
        if line is None:
            raise
        click.echo(f"frontdesk: {line}", err=True)
        code = 2
    sys.exit(code if isinstance(code, int) else 0)
