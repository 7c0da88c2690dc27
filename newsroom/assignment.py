"""Assigning a draft to a board member: the head replies "Giao: <member>" to the board's notification (Đắk Mar
Đ10.3: "Nhiệm vụ cụ thể của các thành viên Ban biên tập … do trưởng ban phân công"; Kon Tum Đ7.3).

The member is named by full name, address, the address's local part or a given name no one else on the board
shares, with or without diacritics; what follows the name is a note for the assignee. The roles that may assign
are the preset's ``[assignment] roles``. The draft records its assignee; the assignee is told by mail, gets the
deadline reminders the whole board would get, and is added to the later steps of the ladder
(scheduler/escalation.py); the reports count items by assignee.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy.orm import Session

from intake import refusals
from intake.classify import fold
from newsroom import i18n, mails, replykey
from newsroom.lifecycle import DRAFT
from newsroom.records import Decision, Draft, IncomingMessage
from newsroom.settings import Person, Settings
from newsroom.workflow import DecisionRefused, audit, queue, record_decision, reply_token


def _names(person: Person, board: list[Person]) -> list[str]:
    """What a person may be called in "Giao: …", folded: name, address, local part, and a given name that is theirs
    alone on the board."""
    given = fold(person.name).split()[-1]
    shared = sum(fold(p.name).split()[-1] == given for p in board) > 1
    return [fold(person.name), person.address, person.address.partition("@")[0], *([] if shared else [given])]


def find_member(board: list[Person], text: str) -> tuple[Person | None, str]:
    """The board member named at the start of ``text`` (the longest name that matches), and what follows it."""
    text = unicodedata.normalize("NFC", text).strip().strip("<>")
    folded = fold(text)
    best: tuple[int, Person] | None = None
    for person in board:
        for name in _names(person, board):
            if re.match(rf"{re.escape(name)}(?![\w@.])", folded) and (best is None or len(name) > best[0]):
                best = (len(name), person)
    if best is None:
        return None, ""
    return best[1], text[best[0] :].lstrip(" >,;:-–.\n").rstrip()


def members_list(settings: Settings) -> str:
    return "; ".join(
        f"{p.name} <{p.address}> ({settings.roles[p.role].name if p.role in settings.roles else p.role})"
        for p in settings.board
    )


def _refuse(settings: Settings, code: str, **values) -> DecisionRefused:
    return DecisionRefused(refusals.text(code, values, settings.language) + ".")


def assign(
    session: Session,
    settings: Settings,
    draft: Draft,
    *,
    reason: str,
    person: Person,
    revision_number: int,
    incoming: IncomingMessage,
    authentication: str,
    now: datetime,
    **_: object,
) -> Decision:
    """ "Giao: <member>" from someone whose role may assign: the draft records its assignee, who is told by mail
    (the assigner in copy). Anyone else, an unknown member or a decided draft: a Vietnamese answer, nothing done."""
    _ = i18n.gettext(settings.language)
    if not settings.may_assign(person):
        allowed = [settings.roles[r].name for r in settings.assignment.roles or [] if r in settings.roles]
        role = settings.roles.get(person.role)
        raise _refuse(
            settings,
            "assign_not_allowed",
            role=role.name if role else person.role,
            roles=", ".join(allowed) or _("người được duyệt bài"),
            article=settings.assignment.article or _("quy chế"),
        )
    member, note = find_member(settings.board, reason)
    if member is None:
        raise _refuse(
            settings,
            "assign_unknown_member",
            name=reason.splitlines()[0] if reason else "",
            members=members_list(settings),
        )
    if not DRAFT.allows(draft.status, "assign"):
        raise _refuse(
            settings, "assign_closed", key=draft.key, status=mails.status_name(draft.status, settings.language)
        )
    previous = draft.assignee_address
    draft.assignee_address, draft.assignee_name, draft.assigned_at = member.address, member.name, now
    reason = f"{member.name} <{member.address}>" + (f": {note}" if note else "")
    decision = record_decision(draft, revision_number, "assign", reason, person, incoming, now, authentication)
    audit(session, draft, person.address, "assigned", now, to=member.address, previous=previous, note=note)
    token = reply_token(settings, draft, draft.latest.number)
    rule = settings.rules.get(draft.deadline_rule or "")
    msg = mails.compose(
        settings,
        "assigned",
        list(dict.fromkeys([member.address, person.address])),
        f"[{draft.key}] "
        + _("Giao cho {name}: {title}").format(name=member.name, title=draft.title)
        + f" [{token.token}]",
        {"draft": draft, "member": member, "by": person, "note": note, "rule": rule},
        reply_to=replykey.plus_address(settings.smtp.from_address, token),
        thread_root=draft.thread_root,
        in_reply_to=incoming.message_id,
        now=now,
    )
    queue(session, draft, "assigned", msg, now)
    return decision
