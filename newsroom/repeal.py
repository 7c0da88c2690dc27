"""Posts about repealed or replaced documents (Long Xuyên Đ21.2: the board takes them down).

When a new document names what it repeals or replaces ("bãi bỏ", "thay thế Quyết định số 15/2020/QĐ-UBND",
``document.replaces``) and a published post carries one of those numbers, the board is asked, in a mail of
that post's own thread signed with its reply key, whether to take it down: a reply ``Gỡ`` does it through
the ordinary decision; no reply leaves the post where it is. Nothing is removed without a decision.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsroom import i18n, mails, replykey
from newsroom.records import Draft
from newsroom.settings import Settings
from newsroom.workflow import audit, queue, reply_token


def _number(number: str | None) -> str:
    return re.sub(r"\s+", "", number or "").upper()


def published_posts_of(session: Session, numbers: list[str]) -> list[tuple[str, Draft]]:
    """(number, draft) for every published post whose document is one of ``numbers``."""
    wanted = {_number(n) for n in numbers}
    if not wanted:
        return []
    found = []
    for draft in session.scalars(select(Draft).where(Draft.status == "published").order_by(Draft.id)):
        number = _number((draft.latest.document or {}).get("number"))
        if number in wanted:
            found.append((number, draft))
    return found


def propose_takedowns(
    session: Session, settings: Settings, new: Draft, posts: list[tuple[str, Draft]], now: datetime
) -> None:
    """One mail per post to the board, in the post's thread, answerable with ``Gỡ``."""
    for number, old in posts:
        token = reply_token(settings, old, old.latest.number)
        _ = i18n.gettext(settings.language)
        msg = mails.compose(
            settings,
            "repeal_proposed",
            [p.address for p in settings.board],
            f"[{old.key}] "
            + _("Đề nghị gỡ bài: văn bản {number} bị bãi bỏ hoặc thay thế").format(number=number)
            + f" [{token.token}]",
            {"old": old, "new": new, "number": number, "article": settings.notices.repeal_article},
            reply_to=replykey.plus_address(settings.smtp.from_address, token),
            thread_root=old.thread_root,
            now=now,
        )
        queue(session, old, "repeal_proposed", msg, now)
        audit(session, old, "toasoan", "repeal_proposed", now, by=new.key, number=number)
