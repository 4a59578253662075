"""The one typed settings tree: ``config.yml`` (or ``--config``/``FRONTDESK_CONFIG``) plus
``FRONTDESK__SECTION__KEY`` environment overrides.

Built once by the composition root (``bots``) and passed down; nothing imports a global.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from limits import parse_many
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from desk.calendar import Calendar, parse_duration
from desk.chinese import to_simplified
from desk.errors import ConfigError
from desk.models.tickets import TYPES as TICKET_TYPES
from desk.rulespec import RuleSpec
from desk.slots import finder, found_in
from desk.textindex import mentions

__all__ = [
    "DEFAULT_CONFIG",
    "ChannelsSettings",
    "DatabaseSettings",
    "Level",
    "Settings",
    "SlaPolicy",
    "SlaTarget",
    "load_settings",
]

DEFAULT_CONFIG = "config.yml"
PRIORITIES = ("P1", "P2", "P3", "P4")
LEVELS = ("high", "medium", "low")
Level = Literal["high", "medium", "low"]  # one of LEVELS, as a field's type


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = "sqlite:///./var/frontdesk.db"
    echo: bool = False
    pool_size: int = Field(default=10, ge=1)


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)


def _rate_limit(value: str | None) -> str:
    """A rate limit as ``limits`` writes it (``"30/minute;300/hour"``); empty means none."""
    if value is None or not value.strip():
        return ""
    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a rate limit such as '30/minute' or '10/minute;100/hour'"
        ) from None
    return value


class StorageSettings(_Section):
    max_attachment_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    file_link_days: int = Field(
        default=30, ge=0
    )  # a file link sent by SMS or web chat works this long; 0: always


class EmailSettings(_Section):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=0, le=65535)
    domains: list[str] = Field(default_factory=list)
    from_address: str | None = None
    relay_host: str | None = None
    relay_port: int = Field(default=25, ge=0, le=65535)
    relay_username: str | None = None
    relay_password: SecretStr | None = None
    relay_starttls: bool = False
    relay_auth: Literal["password", "oauth2"] = "password"  # password: relay_username, if set
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)  # larger mail gets 552
    notify_agents: bool = True  # agents get their notifications by mail too (once relay_host is set)
    # Besides the SMTP listener: fetch the desk's mail from a mailbox on the company's mail system.
    imap_host: str | None = None
    imap_port: int | None = Field(default=None, ge=1, le=65535)  # 993 for ssl, else 143
    imap_security: Literal["ssl", "starttls", "none"] = "ssl"
    imap_username: str | None = None
    imap_password: SecretStr | None = None
    imap_auth: Literal["password", "oauth2"] = "password"
    # The mailbox's OAuth 2.0 client, for imap_auth or relay_auth oauth2 (XOAUTH2): what Exchange
    # Online and Google Workspace want instead of a password, over IMAP and over SMTP.
    oauth_token_url: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: SecretStr | None = None
    oauth_scope: str | None = None
    oauth_refresh_token: SecretStr | None = None  # the refresh-token grant instead of client credentials
    imap_folder: str = "INBOX"
    imap_keep: bool = True  # stored mail is marked read (true) or deleted (false)
    imap_poll_seconds: float = Field(default=60, ge=1)
    # Mail per sender (From) taken; more gets 451 (the sending server retries later), or stays
    # unread in the mailbox: what stops two robots answering each other. "" is no limit.
    sender_limit: str = "10/minute;60/hour"

    _sender_limit = field_validator("sender_limit", mode="before")(_rate_limit)


class TelegramSettings(_Section):
    token: SecretStr | None = None
    secret_token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"


class SlackSettings(_Section):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    base_url: str = "https://slack.com/api/"
    agent_channel: str | None = None


class SmsSettings(_Section):
    account_sid: str | None = None
    auth_token: SecretStr | None = None
    from_number: str | None = None
    base_url: str = "https://api.twilio.com"


class RestSettings(_Section):
    identity_secret: SecretStr | None = None
    """When set, an e-mail or phone in a REST message's metadata must come with its
    ``identity_hash`` (HMAC-SHA256 keyed with this), as Chatwoot's and Intercom's identity
    verification: without it anyone who can reach the endpoint could write as anyone, and
    see their tickets."""
    # Messages and files taken per web-chat sender and per client address; more gets 429 with
    # Retry-After and is not taken. "" is no limit. A whole office may share one address.
    sender_limit: str = "30/minute;300/hour"
    address_limit: str = "600/minute"

    _limits = field_validator("sender_limit", "address_limit", mode="before")(_rate_limit)


class ChannelsSettings(_Section):
    # Where the rate limits count: memory (one process) or redis://host:6379/0, shared by all
    # the processes that serve one desk.
    limits_storage: str = "memory://"
    rest: RestSettings = Field(default_factory=RestSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)


class RasaSettings(_Section):
    url: str = "http://127.0.0.1:5005"
    timeout: float = Field(default=2.0, gt=0)


class NluSettings(_Section):
    backend: Literal["embedded", "rasa"] = "embedded"
    threshold: float = Field(default=0.35, ge=0, le=1)
    model_path: str = "./var/nlu-model.npz"
    data_path: str | None = None
    rasa: RasaSettings = Field(default_factory=RasaSettings)


class AuthSettings(_Section):
    """Password sign-in: after ``max_failed_sign_ins`` wrong passwords in a row, the account's
    password sign-in is refused for ``lockout`` (wall-clock), whatever is typed."""

    max_failed_sign_ins: int = Field(default=5, ge=1)
    lockout: str = "15m"

    @field_validator("lockout")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class SlaTarget(_Section):
    """Business-time targets for one priority. ``Nd`` means N working days of the calendar."""

    response: str
    resolution: str

    @field_validator("response", "resolution")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class SlaPolicy(_Section):
    """Targets per priority on a calendar; the first policy whose filters match a ticket wins."""

    name: str
    calendar: str
    targets: dict[str, SlaTarget]
    categories: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    vip: bool | None = None

    @field_validator("targets")
    @classmethod
    def _priorities(cls, value: dict[str, SlaTarget]) -> dict[str, SlaTarget]:
        unknown = sorted(set(value) - set(PRIORITIES))
        if unknown:
            raise ValueError(f"unknown priority {unknown[0]!r}; use {', '.join(PRIORITIES)}")
        return value

    @field_validator("types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        # A misspelt type ("incidents") would quietly match nothing, and no ticket get a target.
        unknown = sorted(set(value) - set(TICKET_TYPES))
        if unknown:
            raise ValueError(f"unknown ticket type {unknown[0]!r}; use {', '.join(TICKET_TYPES)}")
        return value


class SlaSettings(_Section):
    policies: list[SlaPolicy] = Field(default_factory=list)


class PrioritySettings(_Section):
    """ITIL impact × urgency matrix: ``matrix[impact][urgency]`` is the priority."""

    matrix: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {
            "high": {"high": "P1", "medium": "P2", "low": "P3"},
            "medium": {"high": "P2", "medium": "P3", "low": "P4"},
            "low": {"high": "P3", "medium": "P4", "low": "P4"},
        }
    )
    default_impact: str = "medium"
    default_urgency: str = "medium"

    @model_validator(mode="after")
    def _complete(self) -> PrioritySettings:
        for impact in LEVELS:
            row = self.matrix.get(impact)
            if row is None:
                raise ValueError(f"matrix has no row for impact {impact!r}")
            for urgency in LEVELS:
                if row.get(urgency) not in PRIORITIES:
                    raise ValueError(f"matrix[{impact}][{urgency}] must be one of {', '.join(PRIORITIES)}")
        for level in (self.default_impact, self.default_urgency):
            if level not in LEVELS:
                raise ValueError(f"{level!r} is not one of {', '.join(LEVELS)}")
        return self


class OutboxSettings(_Section):
    max_attempts: int = Field(default=12, ge=1)
    first_retry_seconds: float = Field(default=2.0, gt=0)
    max_retry_seconds: float = Field(default=600.0, gt=0)
    poll_seconds: float = Field(default=1.0, gt=0)


class RequestOption(_Section):
    """A usual answer to a request question: offered as a button, and taken from the opening
    message when it names it (``en``, ``zh`` or one of ``words``)."""

    en: str
    zh: str
    words: list[str] = Field(default_factory=list)

    def names(self) -> list[str]:
        return [self.en, self.zh, *self.words]


class RequestQuestion(_Section):
    """One question a service request asks, in each language, with its usual answers if any
    (any other answer may still be typed)."""

    key: str
    en: str
    zh: str
    options: list[RequestOption] = Field(default_factory=list)
    multiple: bool = False
    """Whether several options make one answer ("a mouse and a keyboard"), as a catalogue's
    list collector; otherwise the first the user names is the answer."""
    expect: str | None = None
    """A regular expression (case-insensitive) a typed answer should contain somewhere, as a
    catalogue variable's validation: an answer without it is questioned once ("工作需要双屏" is
    no place to deliver to), and kept if the user stands by it."""
    example: dict[str, str] = Field(default_factory=dict)
    """An answer that would do, per language, shown when an answer is questioned."""
    find: str | None = None
    """Where a message already answers the question, which is then not asked: ``date`` (a day,
    "starting Monday", "on 1 December", "下周一入职"), ``person`` (a colleague's name) or a regular
    expression, whose first group that matched (else the whole match) is the answer. Looked for
    in the opening message, and in the answers to the questions before it."""
    offer: str | None = None
    """As ``find``, but what it finds is only offered as a one-tap answer, for what is easy to
    get wrong ("a new hire, Anna Schmidt from Finance" offers "Anna Schmidt from Finance")."""

    @field_validator("expect", "find", "offer")
    @classmethod
    def _compiles(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            try:
                finder(value) if info.field_name != "expect" else re.compile(value)
            except re.error as error:
                raise ValueError(f"{info.field_name} is not a regular expression: {error}") from None
        return value

    def found_in(self, text: str, *, whole: bool = False) -> str | None:
        """The answer ``text`` gives by the question's ``find``, if any (with ``whole``, with the
        words that introduce it: "my manager is ann@example.com")."""
        return found_in(self.find, text, whole=whole) if self.find else None

    def offered_in(self, text: str) -> str | None:
        """The answer ``text`` suggests by the question's ``offer``, if any."""
        return found_in(self.offer, text) if self.offer else None

    def expects(self, answer: str) -> bool:
        """Whether ``answer`` looks like an answer: it matches ``expect`` or names an option."""
        if self.expect is None or any(  # "三樓會議室" is "三楼会议室" to an expect written in Simplified
            re.search(self.expect, said, re.IGNORECASE)
            for said in dict.fromkeys((answer, to_simplified(answer)))
        ):
            return True
        return any(mentions(answer, name) for option in self.options for name in option.names())


class RequestType(_Section):
    """A kind of service request the bot can take (``REQ-`` tickets), with its questions."""

    key: str
    title: dict[str, str]
    category: str | None = None
    keywords: list[str] = Field(default_factory=list)
    questions: list[RequestQuestion] = Field(default_factory=list)
    self_service: bool = False
    """Whether articles filed under the kind's category that surely answer the opening message
    come before its questions, as the way to do it oneself ("I need to reset my password": the
    reset page); its questions follow if they do not do."""

    approval: str | None = None
    """The key of the question whose answer names who approves the request (an e-mail address,
    or someone the desk knows by name): they are sent it with a link to approve or reject it,
    the team's SLA clocks start once they approve, and a rejection cancels it."""

    @model_validator(mode="after")
    def _approval_is_asked(self) -> RequestType:
        if self.approval is not None and self.approval not in {q.key for q in self.questions}:
            raise ValueError(f"approval names no question of {self.key!r}: {self.approval!r}")
        return self

    def named_in(self, text: str) -> bool:
        """Whether ``text`` names this kind of request by one of its keywords."""
        return any(mentions(text, keyword) for keyword in self.keywords)

    @field_validator("title")
    @classmethod
    def _both_languages(cls, value: dict[str, str]) -> dict[str, str]:
        missing = {"en", "zh"} - set(value)
        if missing:
            raise ValueError(f"title needs {', '.join(sorted(missing))}")
        return value


class BotSettings(_Section):
    """How the bot behaves."""

    kb_min_score: float = Field(default=0.4, ge=0, le=1)
    kb_suggestions: int = Field(default=3, ge=1, le=5)
    misunderstandings_before_handoff: int = Field(default=2, ge=1)
    clarify_below: float = Field(default=0.6, ge=0, le=1)
    """Below this confidence, a message that would start something (report, request, status, a
    person) is answered with those choices, most likely first, instead of a guess (0: never)."""
    similar_ticket_ratio: int = Field(default=70, ge=0, le=100)
    device_categories: list[str] = Field(default_factory=lambda: ["hardware"])
    """Categories (with what is inside them) of where a problem shows rather than what fails: a
    message that names one of these and another category ("my laptop can't connect to the VPN")
    is filed under the other."""
    foremost_categories: list[str] = Field(default_factory=lambda: ["security"])
    """Categories (with what is inside them) that come first when a message names them with
    others: "a phishing e-mail asking for my password" is a security matter, not an e-mail or a
    password one."""
    requests: list[RequestType] = Field(default_factory=list)


class AutomationSettings(_Section):
    """The auto-close ladder (wall-clock durations) and the scheduler's tick."""

    resolved_close_after: str = "3d"
    pending_remind_after: str = "2d"
    approval_remind_after: str = "2d"
    """An approver who has not answered a request's ask by then is asked once more."""
    pending_close_after: str = "5d"
    tick_seconds: float = Field(default=30.0, gt=0)

    @field_validator(
        "resolved_close_after", "pending_remind_after", "pending_close_after", "approval_remind_after"
    )
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> AutomationSettings:
        if (
            parse_duration(self.pending_close_after).seconds
            <= parse_duration(self.pending_remind_after).seconds
        ):
            raise ValueError("pending_close_after must be longer than pending_remind_after")
        return self


STRATEGIES = ("round_robin", "least_loaded", "skills", "manual")


class RoutingSettings(_Section):
    """Who gets new work. Each group's ``routing`` strategy picks among its members who are on
    shift (their calendar, else the group's), online and under capacity; ``manual`` groups only
    queue. Acknowledgement windows are wall-clock; ``0s`` turns the check off."""

    auto_assign: bool = True
    acknowledge_within: str = "30m"
    conversation_acknowledge_within: str = "2m"
    presence_timeout: str = "5m"

    @field_validator("acknowledge_within", "conversation_acknowledge_within", "presence_timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


NOTIFY_TARGETS = ("assignee", "group_manager", "group", "supervisors")


def _check_targets(value: list[str]) -> list[str]:
    for target in value:
        if target not in NOTIFY_TARGETS and "@" not in target:
            raise ValueError(
                f"cannot notify {target!r}; use {', '.join(NOTIFY_TARGETS)} or an agent's e-mail"
            )
    return value


class EscalationLevel(_Section):
    """One step of the escalation ladder: when ``at`` percent of a ticket's response or
    resolution target has elapsed (in business time), plus ``after`` more business time, do
    the actions. Each level fires once per ticket and is audited."""

    name: str
    clock: Literal["response", "resolution"] = "resolution"
    at: str = "100%"
    after: str | None = None
    priorities: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    raise_priority: bool = False
    assign_to: str | None = None
    forward_to: str | None = None

    @field_validator("at")
    @classmethod
    def _percent(cls, value: str) -> str:
        text = str(value).strip().removesuffix("%")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"invalid percentage {value!r}; use e.g. 75%") from None
        if not 0 < number <= 1000:
            raise ValueError("at must be between 0% and 1000%")
        return f"{number:g}%"

    @field_validator("after")
    @classmethod
    def _after(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("notify")
    @classmethod
    def _notify(cls, value: list[str]) -> list[str]:
        return _check_targets(value)

    @property
    def fraction(self) -> float:
        return float(self.at.removesuffix("%")) / 100


class EscalationSettings(_Section):
    levels: list[EscalationLevel] = Field(default_factory=list)

    @field_validator("levels")
    @classmethod
    def _unique(cls, value: list[EscalationLevel]) -> list[EscalationLevel]:
        names = [level.name for level in value]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise ValueError(f"two escalation levels are named {duplicate!r}")
        return value


class DeskSettings(_Section):
    name: str = "IT Service Desk"
    default_language: Literal["en", "zh"] = "en"
    default_calendar: str | None = None
    default_group: str | None = "Service Desk"


class Settings(BaseSettings):
    """Everything configurable. See ``config.yml`` for the documented defaults."""

    model_config = SettingsConfigDict(
        env_prefix="FRONTDESK__",
        env_nested_delimiter="__",
        extra="forbid",
        case_sensitive=False,
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    public_url: str = "http://127.0.0.1:8000"
    storage: StorageSettings = Field(default_factory=StorageSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    channels: ChannelsSettings = Field(default_factory=ChannelsSettings)
    nlu: NluSettings = Field(default_factory=NluSettings)
    priority: PrioritySettings = Field(default_factory=PrioritySettings)
    calendars: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"always": {"timezone": "UTC", "hours": {"mon-sun": ["00:00-24:00"]}}}
    )
    sla: SlaSettings = Field(default_factory=SlaSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    desk: DeskSettings = Field(default_factory=DeskSettings)
    bot: BotSettings = Field(default_factory=BotSettings)
    automation: AutomationSettings = Field(default_factory=AutomationSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    rules: list[RuleSpec] = Field(default_factory=list)

    @field_validator("calendars")
    @classmethod
    def _calendars(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, spec in value.items():
            try:
                Calendar.from_config(name, spec)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _references(self) -> Settings:
        for i, policy in enumerate(self.sla.policies):
            if policy.calendar not in self.calendars:
                raise ValueError(f"sla.policies.{i}.calendar: no calendar named {policy.calendar!r}")
        for i, level in enumerate(self.escalation.levels):
            if level.priorities and set(level.priorities) - set(PRIORITIES):
                raise ValueError(f"escalation.levels.{i}.priorities: use {', '.join(PRIORITIES)}")
        names = [rule.name for rule in self.rules]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise ValueError(f"rules: two rules are named {duplicate!r}")
        if self.desk.default_calendar and self.desk.default_calendar not in self.calendars:
            raise ValueError(f"desk.default_calendar: no calendar named {self.desk.default_calendar!r}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's content arrives as init data; the environment overrides it, key by key
        # (pydantic-settings deep-merges the sources). No .env file, no secrets directory.
        return (env_settings, init_settings)

    def calendar(self, name: str) -> Calendar:
        return Calendar.from_config(name, self.calendars[name])

    def named_groups(self) -> list[tuple[str, str]]:
        """Each group this configuration names, and where: ``(name, key)``."""
        found = [(self.desk.default_group, "desk.default_group")] if self.desk.default_group else []
        found += [
            (level.forward_to, f"escalation.levels.{i}.forward_to ({level.name})")
            for i, level in enumerate(self.escalation.levels)
            if level.forward_to
        ]
        return found + self._rules_naming("group")

    def named_categories(self) -> list[tuple[str, str]]:
        """Each category this configuration names, and where: ``(path or name, key)``."""
        found = [
            (r.category, f"bot.requests.{i}.category ({r.key})")
            for i, r in enumerate(self.bot.requests)
            if r.category
        ]
        found += [(c, "bot.device_categories") for c in self.bot.device_categories]
        found += [(c, "bot.foremost_categories") for c in self.bot.foremost_categories]
        found += [
            (c, f"sla.policies.{i}.categories ({p.name})")
            for i, p in enumerate(self.sla.policies)
            for c in p.categories
        ]
        return found + self._rules_naming("category")

    def naming_group(self, name: str) -> list[str]:
        """Where this configuration names the group ``name`` (case aside): what would stop
        working if the group were renamed in the database only."""
        wanted = name.strip().casefold()
        return list(
            dict.fromkeys(key for value, key in self.named_groups() if value.strip().casefold() == wanted)
        )

    def naming_category(self, path: str) -> list[str]:
        """Where this configuration names the category ``path`` or one inside it: what would
        stop working if it were moved or deleted in the database only."""
        named = ((value.strip().strip("/").lower(), key) for value, key in self.named_categories())
        return list(dict.fromkeys(key for n, key in named if n == path or n.startswith(path + "/")))

    def _rules_naming(self, field: str) -> list[tuple[str, str]]:
        """The values of ``field`` in the rules' conditions, and in their actions setting it
        (``set: {group: X}``, or the ``group: X`` action), and where."""
        found: list[tuple[str, str]] = []

        def add(value: object, key: str) -> None:
            values = value if isinstance(value, list) else [value]
            found.extend((v, key) for v in values if isinstance(v, str) and v.strip())

        for rule in self.rules:
            for condition in rule.conditions:
                if condition.field == field:
                    add(condition.value, f"rules ({rule.name}): if {field}")
            for i, action in enumerate(rule.then):
                into = action.get("set")
                add(
                    (into if isinstance(into, Mapping) else action).get(field),
                    f"rules ({rule.name}): then.{i}",
                )
        return found


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    return f"{loc}: {msg}" if loc else msg


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read ``path`` (else ``$FRONTDESK_CONFIG``, else ``./config.yml`` if present) and the env.

    Raises:
        ConfigError: with one line naming the bad key.
    """
    chosen = path or os.environ.get("FRONTDESK_CONFIG")
    if chosen is None and Path(DEFAULT_CONFIG).exists():
        chosen = DEFAULT_CONFIG
    data: dict[str, Any] = {}
    if chosen is not None:
        p = Path(chosen)
        if not p.is_file():
            raise ConfigError(f"config file {str(p)!r} not found")
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{p}{where}: not valid YAML") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{p}: the top level must be a mapping of sections")
        data = loaded or {}
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(f"config error: {_first_error(exc)}") from exc
