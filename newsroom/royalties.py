"""Royalties (nhuận bút): the coefficient of each published item and the month's list for payment.

The frame is Nghị định 18/2014/NĐ-CP: royalty = coefficient × the value of one coefficient unit, each genre
with its range; the province narrows the ranges and the site's head sets the unit value. All of it is the
preset's data (``[royalties]``), overridable per site. An item is paid as its category's genre at the
coefficient a board member set (by "Duyệt, hệ số 8" or "Hệ số 6") or the genre's default; its photos are
counted one by one in the photo genre, as the frame pays photos per photo. Money is rounded to whole đồng,
half up, per item, so the list's total is the sum of what each person is paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsroom import i18n
from newsroom.mails import category_name, number
from newsroom.records import Draft, Revision, RoyaltyCoefficient, StoredFile
from newsroom.settings import Genre, Person, Settings

PAID_STATUSES = ("published", "unpublished")  # a post taken down later was still published that month


class CoefficientRefused(Exception):
    """A coefficient that may not be set; the message, with the range, is what the board member is told."""


def check(settings: Settings, draft: Draft, person: Person, value: float | None) -> tuple[str, Genre]:
    """The genre the coefficient applies to, or CoefficientRefused saying why it may not be set."""
    frame, language = settings.royalties, settings.language
    _ = i18n.gettext(language)
    if frame is None:
        raise CoefficientRefused(_("Cấu hình của trang chưa có chế độ nhuận bút ([royalties]); chưa đặt được hệ số."))
    if person.role not in frame.set_by:
        allowed = ", ".join(settings.roles[r].name if r in settings.roles else r for r in frame.set_by) or _("không ai")
        role = settings.roles.get(person.role)
        raise CoefficientRefused(
            _(
                "Vai trò “{role}” không được đặt hệ số nhuận bút theo quy chế ({article}); người được đặt: {allowed}."
            ).format(role=role.name if role else person.role, article=frame.article, allowed=allowed)
        )
    found = frame.genre_for(draft.category)
    if found is None:
        raise CoefficientRefused(
            _("Bài {key} thuộc hạng mục “{category}”, không tính nhuận bút; không có hệ số nào để đặt.").format(
                key=draft.key, category=category_name(draft.category, language)
            )
        )
    if draft.status in ("rejected", "held"):
        raise CoefficientRefused(_("Bài {key} không được đăng; không có nhuận bút để đặt hệ số.").format(key=draft.key))
    key, genre = found
    if value is None or not genre.min <= value <= genre.max:
        frame_text = _(
            "khung của thể loại “{genre}”: từ {min} đến {max} (mặc định {default}; {article}). Chưa có gì thay "
            "đổi; xin trả lời lại, ví dụ “Hệ số {default}”."
        ).format(
            genre=genre.name,
            min=number(genre.min, language),
            max=number(genre.max, language),
            default=number(genre.default, language),
            article=frame.article,
        )
        given = (
            _("Hệ số {value} nằm ngoài").format(value=number(value, language))
            if value is not None
            else _("Chưa rõ hệ số; cần một số trong")
        )
        raise CoefficientRefused(f"{given} {frame_text}")
    return key, genre


def record(
    session: Session, draft: Draft, person: Person, value: float, message_id: str | None, now: datetime
) -> float | None:
    """Store the coefficient; returns the one it replaces (None when the default applied)."""
    row = session.get(RoyaltyCoefficient, draft.id)
    previous = row.coefficient if row else None
    if row is None:
        row = RoyaltyCoefficient(draft_id=draft.id)
        session.add(row)
    row.coefficient = value
    row.set_by_address, row.set_by_name, row.set_by_role = person.address, person.name, person.role
    row.set_at, row.message_id = now, message_id
    return previous


@dataclass
class RoyaltyRow:
    key: str
    title: str
    author: str
    unit: str
    published_on: date
    genre: str  # its name, or "" when the category earns no royalty
    coefficient: float
    photos: int
    photo_coefficient: float
    amount: int  # đồng
    set_by: str
    note: str = ""

    @property
    def total_coefficient(self) -> float:
        return round(self.coefficient + self.photos * self.photo_coefficient, 4)


@dataclass
class AuthorTotal:
    author: str
    unit: str
    items: int = 0
    amount: int = 0


@dataclass
class RoyaltyList:
    start: date
    end: date  # inclusive, the last day of the period
    article: str
    unit_value: int
    rows: list[RoyaltyRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.amount for row in self.rows)

    @property
    def paid_items(self) -> int:
        return sum(1 for row in self.rows if row.amount)

    def by_author(self) -> list[AuthorTotal]:
        totals: dict[tuple[str, str], AuthorTotal] = {}
        for row in self.rows:
            item = totals.setdefault((row.author, row.unit), AuthorTotal(row.author, row.unit))
            item.items += 1
            item.amount += row.amount
        return sorted(totals.values(), key=lambda t: (-t.amount, t.author))


def money(coefficient: float, unit_value: int) -> int:
    return int((Decimal(str(coefficient)) * unit_value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _photos(session: Session, draft: Draft) -> int:
    latest = select(func.max(Revision.id)).where(Revision.draft_id == draft.id).scalar_subquery()
    return session.scalar(
        select(func.count(StoredFile.id)).where(StoredFile.revision_id == latest, StoredFile.use == "image")
    )


def royalty_list(session: Session, settings: Settings, start: datetime, end: datetime, now: datetime) -> RoyaltyList:
    """The items published in [start, end) as they stood at ``now``, in order of publication."""
    frame = settings.royalties
    zone = ZoneInfo(settings.timezone)
    result = RoyaltyList(
        start.astimezone(zone).date(),
        (end.astimezone(zone) - timedelta(microseconds=1)).date(),
        frame.article if frame else "",
        frame.unit_value if frame else 0,
    )
    drafts = session.scalars(
        select(Draft)
        .where(Draft.status.in_(PAID_STATUSES), Draft.published_at >= start, Draft.published_at < min(end, now))
        .order_by(Draft.published_at, Draft.id)
    )
    roles = settings.roles
    for draft in drafts:
        found = frame.genre_for(draft.category) if frame else None
        chosen = session.get(RoyaltyCoefficient, draft.id)
        photo = frame.genres.get(frame.photo_genre) if frame and frame.photo_genre else None
        photos = min(_photos(session, draft), frame.max_photos) if found and photo else 0
        if found is None:
            coefficient, set_by, genre_name = 0.0, "", ""
        elif chosen is not None:
            role = roles.get(chosen.set_by_role)
            coefficient, genre_name = chosen.coefficient, found[1].name
            set_by = f"{chosen.set_by_name} ({role.name if role else chosen.set_by_role})"
        else:
            coefficient, set_by, genre_name = found[1].default, "mặc định", found[1].name
        row = RoyaltyRow(
            key=draft.key,
            title=draft.title,
            author=draft.author or draft.sender_name or draft.sender_address,
            unit=draft.department or draft.sender_address,
            published_on=draft.published_at.astimezone(zone).date(),
            genre=genre_name,
            coefficient=coefficient,
            photos=photos,
            photo_coefficient=photo.default if photos else 0.0,
            amount=0,
            set_by=set_by,
            note="" if found else "không tính nhuận bút (hạng mục này)",
        )
        row.amount = money(row.total_coefficient, result.unit_value)
        if draft.status == "unpublished":
            row.note = "đã gỡ sau khi đăng"
        result.rows.append(row)
    return result
