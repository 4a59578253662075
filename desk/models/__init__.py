"""The desk's tables, as SQLAlchemy 2 typed models. Import from here."""

from desk.db import Base

from .agents import ROLES, Agent, ApiToken, Group, group_members
from .catalog import Category
from .conversations import MODES, Attachment, Blob, Conversation, Message
from .kb import ARTICLE_STATUSES, Article, KbTerm
from .notifications import Notification
from .outbox import OUTBOX_STATUSES, OutboxItem
from .people import Identity, Person
from .replies import SavedReply
from .tickets import APPROVAL_STATES, PREFIXES, STATUSES, TYPES, Approval, Counter, Ticket, TicketEvent

__all__ = [
    "APPROVAL_STATES",
    "ARTICLE_STATUSES",
    "MODES",
    "OUTBOX_STATUSES",
    "PREFIXES",
    "ROLES",
    "STATUSES",
    "TYPES",
    "Agent",
    "ApiToken",
    "Approval",
    "Article",
    "Attachment",
    "Base",
    "Blob",
    "Category",
    "Conversation",
    "Counter",
    "Group",
    "Identity",
    "KbTerm",
    "Message",
    "Notification",
    "OutboxItem",
    "Person",
    "SavedReply",
    "Ticket",
    "TicketEvent",
    "group_members",
]
