"""Message kinds as a registry: each handler says whether it takes an analysed message, then acts on it.

Modelled on GitLab's ``lib/gitlab/email/handler/``: an ordered list, the first handler whose
``can_handle`` is true executes; more specific handlers come first (a reply in a question's thread before
a reply to a draft; automatic mail before anything that could answer it). ``analyze`` decides what the
message is from the message alone, so ``toasoan inspect`` says the same; a handler may also look at the
store (a reply tied to a question only by the thread it quotes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import question_intake
from intake.analyze import Analysis
from newsroom.records import IncomingMessage, OutboxMail

if TYPE_CHECKING:
    from datetime import datetime

    from intake.service import Intake


class Handler:
    """One kind of message. Subclasses set ``kind`` and implement ``execute``; ``can_handle`` defaults to
    the kind analyze gave the message."""

    kind: ClassVar[str]

    def __init__(self, intake: Intake, analysis: Analysis):
        self.intake, self.analysis = intake, analysis

    def can_handle(self, session: Session) -> bool:
        return self.analysis.kind == self.kind

    def execute(self, session: Session, incoming: IncomingMessage, now: datetime) -> None:
        raise NotImplementedError


class BounceHandler(Handler):
    """A delivery failure: marks our recipient as failing; never answered."""

    kind = "bounce"

    def execute(self, session, incoming, now):
        self.intake._on_bounce(session, self.analysis, incoming, now)


class AutoReplyHandler(Handler):
    """Out-of-office and other automatic mail: recorded, never answered."""

    kind = "auto_reply"

    def execute(self, session, incoming, now):
        self.intake._on_auto_reply(session, self.analysis, incoming, now)


class RefusedHandler(Handler):
    """Mail that cannot be accepted: one polite explanation to its sender, at most one an hour."""

    kind = "refused"

    def execute(self, session, incoming, now):
        self.intake._on_refused(session, self.analysis, incoming, now)


class QuestionReplyHandler(Handler):
    """A reply in a citizen's question's thread (its key ``hd…``, its [HD00012] tag, or a quoted mail of
    ours about a question): the citizen's follow-up, the unit's answer or extension, the board's command."""

    kind = "reply"

    def can_handle(self, session):
        a = self.analysis
        if a.kind != "reply":
            return False
        if a.draft_key is not None:
            return a.draft_key.startswith("HD")
        ids = [i for i in (a.mail.in_reply_to, *a.mail.references) if i]
        return (
            bool(ids)
            and session.scalar(
                select(OutboxMail.id)
                .where(OutboxMail.message_id.in_(ids), OutboxMail.question_id.is_not(None))
                .limit(1)
            )
            is not None
        )

    def execute(self, session, incoming, now):
        question_intake.on_reply(self.intake, session, self.analysis, incoming, now)


class DraftReplyHandler(Handler):
    """A board member's decision on a draft, or its submitter's corrected document."""

    kind = "reply"

    def execute(self, session, incoming, now):
        self.intake._on_reply(session, self.analysis, incoming, now)


class QuestionHandler(Handler):
    """A citizen's new question, or a follow-up that lost its thread (same asker, same subject)."""

    kind = "question"

    def execute(self, session, incoming, now):
        question_intake.on_question(self.intake, session, self.analysis, incoming, now)


class SubmissionHandler(Handler):
    """A department's news or document: a new draft for the board."""

    kind = "submission"

    def execute(self, session, incoming, now):
        self.intake._on_submission(session, self.analysis, incoming, now)


HANDLERS: list[type[Handler]] = [
    BounceHandler,
    AutoReplyHandler,
    RefusedHandler,
    QuestionReplyHandler,
    DraftReplyHandler,
    QuestionHandler,
    SubmissionHandler,
]


class UnknownMessage(Exception):
    """No handler takes the message (a kind analyze gives that nobody registered)."""


def handler_for(intake: Intake, analysis: Analysis, session: Session) -> Handler:
    for cls in HANDLERS:
        handler = cls(intake, analysis)
        if handler.can_handle(session):
            return handler
    raise UnknownMessage(f"không có bộ xử lý cho thư loại {analysis.kind!r}")
