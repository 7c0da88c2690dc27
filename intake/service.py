"""Processing one message from the mailbox, exactly once, in one transaction.

The raw bytes are archived before anything else, so even a message that crashes the parser is kept.
A message already recorded under the same (mailbox, UIDVALIDITY, UID) or the same SHA-256 is not
processed again: the caller only moves it to the processed folder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from intake import handlers, refusals, replies
from intake.analyze import Analysis, DeadlineFn, analyze
from intake.authentication import verify
from intake.message import size_text
from newsroom import assignment, i18n, repeal, replykey, workflow
from newsroom.archive import Archive
from newsroom.claims import connection_lost
from newsroom.clock import Clock
from newsroom.questions import Times
from newsroom.records import AuditEvent, Draft, IncomingMessage, OutboxMail
from newsroom.settings import Settings

log = logging.getLogger("toasoan.intake")
REFUSAL_INTERVAL = timedelta(hours=1)  # one explanation an hour per sender, so a loop cannot flood anyone
# Draft commands with a step of their own; every other command is a decision (workflow.decide).
ACTING = {"assign": assignment.assign}


@dataclass
class Where:
    mailbox: str
    uidvalidity: int
    uid: int


class Intake:
    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        archive: Archive,
        deadline_fn: DeadlineFn,
        clock: Clock,
        question_times: Callable[[datetime], Times] | None = None,
    ):
        """``question_times`` gives a new citizen's question its dates (the scheduler's working calendar)."""
        self.settings, self.factory, self.archive, self.deadline_fn = settings, factory, archive, deadline_fn
        self.clock, self.question_times = clock, question_times
        self.on_refused: Callable[[str], None] = lambda code: None  # the daemon counts refusals by code

    def seen(self, where: Where) -> bool:
        with self.factory() as session:
            return (
                session.scalar(
                    select(IncomingMessage.id).where(
                        IncomingMessage.mailbox == where.mailbox,
                        IncomingMessage.uidvalidity == where.uidvalidity,
                        IncomingMessage.uid == where.uid,
                    )
                )
                is not None
            )

    def process(self, raw: bytes, where: Where, received_at: datetime) -> IncomingMessage:
        sha = self.archive.put(raw)
        with self.factory.begin() as session:
            existing = session.scalar(
                select(IncomingMessage)
                .where(
                    or_(
                        IncomingMessage.sha256 == sha,
                        (IncomingMessage.mailbox == where.mailbox)
                        & (IncomingMessage.uidvalidity == where.uidvalidity)
                        & (IncomingMessage.uid == where.uid),
                    )
                )
                .limit(1)
            )
            if existing is not None:
                log.info("thư %s đã xử lý (bản ghi %s); bỏ qua", where, existing.id)
                return existing

            def ours(ids: list[str]) -> bool:
                return (
                    bool(ids)
                    and session.scalar(
                        select(OutboxMail.id)
                        .where(
                            or_(
                                OutboxMail.message_id.in_(ids),
                                OutboxMail.draft_id.in_(select(Draft.id).where(Draft.thread_root.in_(ids))),
                            )
                        )
                        .limit(1)
                    )
                    is not None
                )

            now = self.clock()
            try:
                analysis = analyze(raw, self.settings, received_at, self.deadline_fn, ours)
            except Exception as exc:  # a parser bug must not lose the message or stop the mailbox
                if connection_lost(exc):  # the database went away: the message stays in the inbox for later
                    raise
                log.exception("không phân tích được thư %s (sha256 %s)", where, sha)
                return self._record(session, where, sha, None, "refused", f"lỗi phân tích: {exc}", received_at, now)
            incoming = self._record(session, where, sha, analysis, analysis.kind, analysis.reason, received_at, now)
            try:
                with session.begin_nested():
                    handlers.handler_for(self, analysis, session).execute(session, incoming, now)
            except Exception as exc:  # recorded and moved on: one bad message must not block the inbox
                if connection_lost(exc):
                    raise
                log.exception("lỗi khi xử lý thư %s (sha256 %s)", where, sha)
                incoming.outcome = f"lỗi xử lý: {type(exc).__name__}: {exc}"[:1000]
            return incoming

    def process_oversized(self, header: bytes, size: int, where: Where, received_at: datetime) -> IncomingMessage:
        """A message over the size limit, known by its headers only: recorded, and its sender told once."""
        limit = self.settings.max_message_bytes
        raw = header + f"\r\nX-Toasoan-Omitted: body of {size} bytes left on the server\r\n".encode()
        sha = self.archive.put(raw)
        with self.factory.begin() as session:
            now = self.clock()
            analysis = analyze(header + b"\r\n", self.settings, received_at)
            if analysis.kind not in ("auto_reply", "bounce"):
                values = {"size": size_text(size), "limit": size_text(limit)}
                analysis.refuse("message_too_large", self.settings.language, **values)
            incoming = self._record(session, where, sha, analysis, analysis.kind, analysis.reason, received_at, now)
            handlers.handler_for(self, analysis, session).execute(session, incoming, now)
            return incoming

    def _record(self, session, where, sha, analysis, kind, outcome, received_at, now) -> IncomingMessage:
        mail = analysis.mail if analysis else None
        incoming = IncomingMessage(
            mailbox=where.mailbox,
            uidvalidity=where.uidvalidity,
            uid=where.uid,
            sha256=sha,
            message_id=mail.message_id if mail else None,
            sender=mail.sender_address if mail else None,
            subject=mail.subject[:1000] if mail else None,
            kind=kind,
            outcome=outcome or "",
            received_at=received_at,
            processed_at=now,
        )
        session.add(incoming)
        session.flush()
        return incoming

    def _on_submission(self, session: Session, a: Analysis, incoming: IncomingMessage, now: datetime) -> None:
        secret = a.submission.secrecy != "none"
        posts = [] if secret else repeal.published_posts_of(session, a.submission.document.get("replaces", []))
        draft = workflow.open_draft(
            session, self.settings, self.archive, a.submission, incoming, a.deadline, now, repealed=posts
        )
        repeal.propose_takedowns(session, self.settings, draft, posts, now)
        incoming.outcome = f"bài {draft.key} ({draft.status})"
        log.info("thư %s → bài %s (%s, %s)", incoming.id, draft.key, draft.category, draft.status)

    def _on_reply(self, session: Session, a: Analysis, incoming: IncomingMessage, now: datetime) -> None:
        mail = a.mail
        a.command = replies.for_drafts(a.command)
        if a.command is not None and a.command.action == "acknowledge":
            self._acknowledge(session, a, incoming, now)
            return
        if a.key is not None:
            key = a.key if a.key_valid else None  # a forged key is refused outright, whatever the thread says
        else:
            key = self._key_from_thread(session, [mail.in_reply_to, *mail.references])
        draft = session.scalar(select(Draft).where(Draft.key == key.draft_key)) if key else None
        person = self.settings.board_member(mail.sender_address)
        if key is None and a.key is None and not a.draft_key:  # no key, no tag, no thread of ours: no draft
            self._no_draft(session, a, incoming, person, now)
            return
        submitter = draft is not None and mail.sender_address == draft.sender_address.lower()
        if person is None and not submitter:
            self._ignore(session, incoming, now, "trả lời từ người ngoài Ban biên tập", "not on roster")
            return
        if draft is None:
            self._ignore(session, incoming, now, f"khóa trả lời không hợp lệ ({a.key or a.draft_key})", "bad key")
            return
        passed, verdict = verify(mail, self.settings.trusted_authserv_id)
        if not passed:
            self._ignore(session, incoming, now, f"không xác thực được người gửi ({verdict})", "authentication")
            return
        incoming.draft_id = draft.id
        if person is None:
            self._from_submitter(session, a, incoming, draft, now)
            return
        revision = key.revision
        try:
            if a.submission is not None:  # an editor's corrected document becomes the revision decided on
                revision = self._revise(session, a, incoming, draft, person.address, now).number
            if a.command is None and a.submission is None:
                incoming.outcome = "không hiểu lệnh"
                _ = i18n.gettext(self.settings.language)
                message = _("Hệ thống chưa hiểu trả lời của đồng chí về bài {key} “{title}”.").format(
                    key=draft.key, title=draft.title
                )
                workflow.answer_board_member(session, self.settings, draft, person, message, mail.message_id, now)
                return
            if a.command is not None:
                ACTING.get(a.command.action, workflow.decide)(
                    session,
                    self.settings,
                    draft,
                    action=a.command.action,
                    reason=a.command.reason,
                    person=person,
                    revision_number=revision,
                    incoming=incoming,
                    authentication=verdict or mail.header("Authentication-Results")[:2000],
                    now=now,
                    at=a.command.at,
                    coefficient=a.command.coefficient,
                )
            incoming.outcome = f"{a.command.action if a.command else 'revision'} bài {draft.key}"
        except workflow.DecisionRefused as refused:
            incoming.outcome = f"không thực hiện: {refused}"
            workflow.answer_board_member(session, self.settings, draft, person, str(refused), mail.message_id, now)

    def _revise(self, session, a: Analysis, incoming, draft: Draft, by: str, now: datetime):
        a.submission.title = draft.title  # a reply's subject is not the article's title
        rule = self.settings.rules.get(draft.deadline_rule or "")
        deadline = SimpleNamespace(due_at=draft.deadline_at, rule=rule, note="") if rule else None
        return workflow.new_revision(
            session, self.settings, self.archive, draft, a.submission, incoming, by, deadline, now
        )

    def _from_submitter(self, session, a: Analysis, incoming, draft: Draft, now: datetime) -> None:
        """The department answers a change request (or sends a correction) with a corrected document."""
        mail = a.mail

        def tell(outcome: str, reason: str) -> None:
            incoming.outcome = outcome
            self._explain(session, mail, reason, now)

        if a.submission is None:
            _ = i18n.gettext(self.settings.language)
            tell(
                "người gửi trả lời nhưng không kèm tệp",
                _("Thư trả lời về bài {key} không kèm tệp .docx đã sửa; xin gửi lại kèm tệp.").format(key=draft.key),
            )
            return
        try:
            revision = self._revise(session, a, incoming, draft, mail.sender_address, now)
        except workflow.DecisionRefused as refused:
            tell(f"không thực hiện: {refused}", str(refused))
            return
        incoming.outcome = f"bản {revision.number} của bài {draft.key}"

    def _no_draft(self, session: Session, a: Analysis, incoming: IncomingMessage, person, now: datetime) -> None:
        """A reply that names no draft (a new mail written as "Re: …", a quote of someone else's mail, a
        "Duyệt" to a thread we never sent): nothing is drafted. A board member is told how to answer; anyone
        else gets at most one note an hour, so two auto-responders cannot talk to each other for ever."""
        code = "reply_no_draft_board" if person is not None else "reply_no_draft"
        incoming.outcome = f"trả lời không ứng với bài nào ({', '.join(a.reply_signals) or 'thư của hệ thống'})"
        log.info("thư (bản ghi %s) có dạng trả lời nhưng không ứng với bài nào", incoming.id)
        workflow.audit(session, None, a.mail.sender_address, "reply_without_draft", now, signals=a.reply_signals)
        told = session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.actor == a.mail.sender_address,
                AuditEvent.event == "refused",
                AuditEvent.at > now - REFUSAL_INTERVAL,
            )
            .limit(1)
        )
        if told is None:
            self._explain(session, a.mail, refusals.text(code, {}, self.settings.language), now)

    def _acknowledge(self, session: Session, a: Analysis, incoming: IncomingMessage, now: datetime) -> None:
        """ "Đã nhận" from someone a digest went to: tied to the digest by In-Reply-To and the address."""
        mail = a.mail
        ids = [i for i in (mail.in_reply_to, *mail.references) if i]
        drafts = workflow.acknowledge(session, mail.sender_address, ids, incoming, now) if ids else []
        if not drafts:
            self._ignore(session, incoming, now, "“Đã nhận” không ứng với thư nhắc hạn nào gửi người này", "no digest")
            return
        incoming.draft_id = drafts[0].id
        incoming.outcome = "đã nhận nhắc hạn: " + ", ".join(d.key for d in drafts)

    @staticmethod
    def _ignore(session: Session, incoming: IncomingMessage, now: datetime, why: str, code: str) -> None:
        """A reply that may not act: logged and audited, never answered, so nothing leaks to its sender."""
        incoming.outcome = f"{why}: bỏ qua"
        log.warning("trả lời (bản ghi %s) bị bỏ qua: %s", incoming.id, why)
        workflow.audit(
            session, None, incoming.sender or "", "reply_ignored", now, reason=code, message_id=incoming.message_id
        )

    def _key_from_thread(self, session: Session, message_ids: list[str | None]) -> replykey.ReplyKey | None:
        """The draft a reply answers, from the mail of ours it quotes, for clients that keep neither the
        Reply-To nor the subject: the notification's own key, or the draft's latest revision."""
        ids = [i for i in message_ids if i]
        if not ids:
            return None
        row = session.scalar(
            select(OutboxMail)
            .where(OutboxMail.message_id.in_(ids), OutboxMail.draft_id.is_not(None))
            .order_by(OutboxMail.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        if row.purpose == "board_new" and (key := replykey.find(row.subject)):
            return key
        draft = session.get(Draft, row.draft_id)
        return replykey.make(self.settings.secret.resolve(), self.settings.site_id, draft.key, draft.latest.number)

    def _on_auto_reply(self, session: Session, a: Analysis, incoming: IncomingMessage, now: datetime) -> None:
        log.info("thư tự động (bản ghi %s): %s", incoming.id, a.reason)

    def _on_bounce(self, session: Session, a: Analysis, incoming: IncomingMessage, now: datetime) -> None:
        """A bounce of mail we sent marks the address as failing; the office is told once."""
        ids, failed = a.mail.returned
        ours = session.scalars(select(OutboxMail).where(OutboxMail.message_id.in_(ids))).all() if ids else []
        if not ours:
            log.info("thư báo lỗi không thuộc thư nào của hệ thống: %s", a.reason)
            return
        sent_to = {r.lower() for row in ours for r in row.recipients}
        for address, reason in failed or [(r, "không gửi được") for r in sent_to]:
            if address in sent_to:
                workflow.address_failed(session, self.settings, address, reason, now)
        incoming.outcome = "thư báo lỗi: " + ", ".join(a for a, _ in failed if a in sent_to)

    def _on_refused(self, session: Session, a: Analysis, incoming: IncomingMessage, now: datetime) -> None:
        mail = a.mail
        notice = refusals.REFUSALS.get(a.code or "")
        self.on_refused(a.code or "unknown")
        log.log(notice.level if notice else logging.WARNING, "từ chối thư (bản ghi %s): %s", incoming.id, a.reason)
        if notice is not None and notice.answer == "never":
            return
        recent = session.scalar(
            select(IncomingMessage.id)
            .where(
                IncomingMessage.sender == mail.sender_address,
                IncomingMessage.kind == "refused",
                IncomingMessage.id != incoming.id,
                IncomingMessage.processed_at > now - REFUSAL_INTERVAL,
            )
            .limit(1)
        )
        if recent is None and mail.sender_address:
            self._explain(session, mail, a.reason, now)

    def _explain(self, session: Session, mail, reason: str, now: datetime) -> None:
        """One polite Vietnamese explanation to the sender, threaded under their own message."""
        workflow.refuse_message(
            session, self.settings, mail.sender_address, mail.sender_name, mail.subject, reason, mail.message_id, now
        )
