"""The site's configuration: one TOML file over a preset, validated so that an error names its key.

Secrets never sit in the file. A key ``password_env`` names an environment variable and
``password_file`` a file; they are resolved when a connection is made, so that ``check-config``
and the daemon can report a missing secret by the key that names it instead of refusing to start.
"""

import copy
import itertools
import os
import re
import tomllib
import types
import typing
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, field
from msgspec.structs import force_setattr

from newsroom.presets import ConfigError, load_preset, preset_names

CATEGORIES = (
    "news",
    "event_report",
    "urgent_dispatch",
    "legal_document",
    "direction",
    "schedule",
    "invitation",
    "propaganda",
    "procedure",
    "statistics",
    "science",
    "qa",
    "other",
)
START_EVENTS = ("received", "signed", "event", "approved", "effective")
CLOCK_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
ClockTime = Annotated[str, Meta(pattern=CLOCK_TIME)]
SITE_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """msgspec rather than pydantic: every command starts by loading its settings, and importing pydantic and
    building these models was half of `toasoan inspect`'s process (0.17 s); msgspec does it in milliseconds.
    A check that names a key of its own raises ``ValueError("key: …")``; `settings_from_dict` puts it
    after the table's path. An empty list or table default is copied for each instance. Each model is
    ``kw_only`` (msgspec does not inherit it), so that a required key may follow optional ones."""


class Secret(Strict, kw_only=True):
    """Where a secret comes from: an environment variable or a file, never the TOML itself."""

    env: str | None = None
    file: Path | None = None
    key: str = ""  # the dotted key, for messages
    value: str | None = None  # set by code only (inspect's throw-away key)

    def __repr__(self) -> str:  # the value never reaches a log
        return f"Secret(env={self.env!r}, file={self.file!r}, key={self.key!r})"

    def resolve(self) -> str:
        if self.value:
            return self.value
        if self.env:
            value = os.environ.get(self.env)
            if not value:
                raise ConfigError(f"{self.key}_env: biến môi trường {self.env} chưa được đặt")
            return value
        if self.file:
            try:
                return self.file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{self.key}_file: không đọc được {self.file}: {exc.strerror}") from exc
        raise ConfigError(f"{self.key}: thiếu {self.key}_env hoặc {self.key}_file")


def _secret(data: dict, name: str, key: str, base: Path, required: bool = True) -> Secret | None:
    env, file = data.pop(f"{name}_env", None), data.pop(f"{name}_file", None)
    if name in data:
        raise ConfigError(f"{key}: không ghi bí mật trong tệp cấu hình; dùng {key}_env hoặc {key}_file")
    if env and file:
        raise ConfigError(f"{key}: chỉ dùng một trong {key}_env và {key}_file")
    if not env and not file:
        if required:
            raise ConfigError(f"{key}: thiếu {key}_env hoặc {key}_file")
        return None
    return Secret(env=env, file=(base / file).resolve() if file else None, key=key)


class ImapSettings(Strict, kw_only=True):
    host: str
    port: int = 993
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str
    password: Secret
    ca_file: Path | None = None
    inbox: str = "INBOX"
    processed_folder: str = "Toasoan/Processed"
    idle: bool = True
    poll_seconds: Annotated[float, Meta(gt=0, le=1500)] = (
        60  # inbox re-read at least this often, IDLE or not (RFC 2177)
    )


class SmtpSettings(Strict, kw_only=True):
    host: str
    port: int = 587
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    ca_file: Path | None = None
    from_address: str
    from_name: str = "Ban biên tập"
    timeout_seconds: float = 30


class CmsSettings(Strict, kw_only=True):
    kind: Literal["wordpress", "folder"] = "wordpress"
    url: str = ""  # WordPress site root; kind = "folder": the address its local website is served at
    username: str | None = None
    password: Secret | None = None
    folder: Path | None = None  # kind = "folder": where previews are written
    categories: dict[str, str] = {}  # canonical key -> CMS category name
    timeout_seconds: float = 60

    def __post_init__(self) -> None:
        if self.kind == "wordpress" and (not self.url or not self.username or self.password is None):
            raise ValueError("kind = 'wordpress' cần url, username và password_env/password_file")
        if self.kind == "folder" and self.folder is None:
            raise ValueError("kind = 'folder' cần folder")


def _lower_address(model: Strict) -> None:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", model.address):
        raise ValueError(f"address: địa chỉ thư không hợp lệ: {model.address!r}")
    force_setattr(model, "address", model.address.lower())


def _known_category(category: str) -> None:
    if category not in CATEGORIES:
        raise ValueError(f"category: hạng mục không có: {category!r}; dùng một trong {', '.join(CATEGORIES)}")


class Person(Strict, kw_only=True):
    name: str
    address: str
    role: str = "thanh_vien"

    def __post_init__(self) -> None:
        _lower_address(self)


class Department(Strict, kw_only=True):
    name: str
    addresses: list[str] = []
    domains: list[str] = []


class Role(Strict, kw_only=True):
    name: str  # Vietnamese title
    may_approve: bool = False


class Rule(Strict, kw_only=True):
    category: str
    amount: Annotated[float, Meta(gt=0)] = 1
    unit: Literal["hours", "working_hours", "days", "working_days", "same_day", "at_start"]
    start_event: Literal["received", "signed", "event", "approved", "effective"] = "received"
    # which moment of the text "event" means (intake/events.py): the activity (its last day for a range),
    # a conference's end, or the decision approving or accepting a programme
    event_reader: Literal["activity", "end", "programme"] = "activity"
    own_issuer: bool = False  # applies only to documents the site itself issued (issuer_names)
    pause_on_changes: bool = True  # the clock stops while the item waits on its submitter
    article: str
    description: str = ""

    @property
    def period(self) -> str:
        """The period as the regulations write it."""
        n = f"{self.amount:g}"
        return {
            "hours": f"{n} giờ",
            "working_hours": f"{n} giờ hành chính",
            "days": f"{n} ngày",
            "working_days": f"{n} ngày làm việc",
            "same_day": "trong ngày làm việc",
            "at_start": "ngay thời điểm",
        }[self.unit]

    @property
    def wall_clock(self) -> bool:
        """Hours with no "giờ hành chính": counted around the clock, and escalated around the clock."""
        return self.unit == "hours"

    def __post_init__(self) -> None:
        _known_category(self.category)


class Approval(Strict, kw_only=True):
    """Who may publish items of a category, and how many of them must agree."""

    roles: list[str] | None = None  # None: every role with may_approve
    count: Annotated[int, Meta(ge=1)] = 1


class EscalationStep(Strict, kw_only=True):
    """At this fraction of the period, tell these people; 'board', 'approvers', 'office_head' or role ids."""

    at: Annotated[float, Meta(gt=0, le=1)]
    to: Annotated[list[str], Meta(min_length=1)]
    repeat: Literal["none", "working_day"] = "none"  # then once a working day while overdue


DEFAULT_LADDER = [
    EscalationStep(at=0.5, to=["board"]),
    EscalationStep(at=0.8, to=["approvers"]),
    EscalationStep(at=1.0, to=["office_head"], repeat="working_day"),
]


def _parse_span(text: str) -> tuple[time, time]:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not m:
        raise ValueError(f"office_hours: khoảng giờ không hợp lệ: {text!r} (viết như 07:30-11:30)")
    a, b = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
    if not a < b:
        raise ValueError(f"office_hours: giờ bắt đầu phải trước giờ kết thúc: {text!r}")
    return a, b


class Topic(Strict, kw_only=True):
    """A field of citizens' questions (lĩnh vực) and the words that reveal it; data of the preset."""

    name: str
    unit: str = ""  # the office usually competent at this level (named only: the site gives the address)
    keywords: list[str] = []


class Unit(Strict, kw_only=True):
    """The unit competent to answer a topic's questions (the site's routing table, like FixMyStreet's
    categories to bodies)."""

    name: str
    address: str

    def __post_init__(self) -> None:
        _lower_address(self)


class Questions(Strict, kw_only=True):
    """Citizens' questions and feedback (hỏi đáp, góp ý, phản ánh kiến nghị): how they are recognised,
    routed, timed and published. The answer period is the preset's rule for category ``qa``."""

    addresses: list[str] = []  # Q&A addresses delivered to the board's mailbox
    form_senders: list[str] = []  # the site's contact form: the citizen in Reply-To
    topics: dict[str, Topic] = {}
    units: dict[str, Unit] = {}  # topic id -> competent unit
    default_unit: Unit | None = None  # for a topic with no unit of its own
    auto_forward: bool = False  # forward to the unit at once instead of waiting for the board
    forward_after_hours: Annotated[float, Meta(ge=0)] = 4  # working hours the board has to override the routing
    reminders: list[int] = field(default_factory=lambda: [3, 1])  # working days before the deadline
    very_overdue_days: Annotated[int, Meta(gt=0)] = 15  # working days after the deadline
    daily_limit: Annotated[int, Meta(ge=1)] = 3  # new questions a sender may open a day
    show_names: bool = False  # publish the asker's full name instead of initials

    def __post_init__(self) -> None:
        force_setattr(self, "addresses", [a.lower() for a in self.addresses])
        force_setattr(self, "form_senders", [a.lower() for a in self.form_senders])
        unknown = [t for t in self.units if t not in self.topics]
        if unknown:
            raise ValueError(f"units: không có lĩnh vực {', '.join(unknown)} trong questions.topics")

    def unit_for(self, topic: str | None) -> Unit | None:
        return self.units.get(topic or "") or self.default_unit


class SecrecyPolicy(Strict, kw_only=True):
    """Who is told that a secret-stamped document arrived and was held: its number and sender only."""

    notify_roles: list[str] = []  # empty: the office head alone
    article: str = ""


class PublishingAlert(Strict, kw_only=True):
    """Publishing that keeps failing is mailed to the office once, when a post has failed ``after_failures``
    times or for ``after_minutes``, and once again when it goes out: not a mail per retry."""

    after_failures: Annotated[int, Meta(ge=1)] = 3
    after_minutes: Annotated[float, Meta(gt=0)] = 30
    to: list[str] = field(default_factory=lambda: ["operator"])  # 'operator', 'office_head', 'board' or role ids
    article: str = ""


class Silence(Strict, kw_only=True):
    """A silence alert (scheduler/silence.py): nothing published for ``amount`` ``unit`` (kind "no_post"), or no
    item of a category, and with one of ``title_words`` in its title, published for the week by
    ``weekday`` at ``time`` (kind "weekly"). Told once per silence episode or week, inside office hours."""

    kind: Literal["no_post", "weekly"]
    amount: Annotated[float, Meta(gt=0)] = 1  # no_post: how long a silence may last
    unit: Literal["hours", "working_hours", "days", "working_days"] = "working_days"
    category: str = "schedule"  # weekly: what is expected, recognised by category or by title words
    title_words: list[str] = []
    weekday: Annotated[int, Meta(ge=0, le=6)] = 0  # weekly: Monday = 0; a day off moves it to the next working day
    time: ClockTime = "08:00"
    since_days: Annotated[int, Meta(ge=0, le=7)] = 4  # weekly: published from this many days before the week's Monday
    to: list[str] = field(default_factory=lambda: ["office_head", "board"])
    article: str
    description: str = ""

    def __post_init__(self) -> None:
        _known_category(self.category)


class Notices(Strict, kw_only=True):
    """What the board is told beyond an item's deadline, each citing its article."""

    website_recipient_article: str = ""  # set: the site's own documents must list the website (Đắk Mar Đ11.3)
    repeal_article: str = ""  # cited when the board is asked to take down a post of a repealed document
    publishing: PublishingAlert = field(default_factory=PublishingAlert)
    silence: dict[str, Silence] = {}  # rule id -> rule


class Assignment(Strict, kw_only=True):
    """Who may assign a draft to a board member by replying "Giao: <member>" (Đắk Mar Đ10.3, Kon Tum Đ7.3)."""

    roles: list[str] | None = None  # None: every role that may approve
    article: str = ""


class Calendar(Strict, kw_only=True):
    office_hours: str = "07:30-11:30,13:30-17:00"
    working_weekdays: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])  # Monday = 0
    extra_days_off: list[str] = []  # ISO dates
    extra_working_days: list[str] = []

    def __post_init__(self) -> None:
        for (_, end), (start, _) in itertools.pairwise(self.spans()):
            if not end <= start:
                raise ValueError(
                    f"office_hours: các khoảng giờ phải theo thứ tự và không chồng nhau: {self.office_hours!r}"
                )

    def spans(self) -> list[tuple[time, time]]:
        return [_parse_span(part) for part in self.office_hours.split(",")]


class Genre(Strict, kw_only=True):
    """A genre of the royalty frame (Nghị định 18/2014/NĐ-CP): its coefficient range and the default used
    when nobody sets one; ``per = "photo"`` counts each photo of an item."""

    name: str
    min: Annotated[float, Meta(gt=0)]
    max: Annotated[float, Meta(gt=0)]
    default: Annotated[float, Meta(gt=0)]
    per: Literal["item", "photo"] = "item"

    def __post_init__(self) -> None:
        if not self.min <= self.default <= self.max:
            raise ValueError(f"cần min ≤ default ≤ max (đang {self.min:g} ≤ {self.default:g} ≤ {self.max:g})")


class Royalties(Strict, kw_only=True):
    """Royalty = coefficient × unit value, per genre; the monthly list goes to the office."""

    article: str
    unit_value: Annotated[int, Meta(gt=0)]  # đồng per coefficient, set by the site's head
    genres: Annotated[dict[str, Genre], Meta(min_length=1)]
    categories: dict[str, str] = {}  # canonical category (or "default") -> genre
    photo_genre: str | None = None  # an item's photos are counted per photo in this genre
    max_photos: Annotated[int, Meta(ge=0)] = 10  # photos counted per item at most
    set_by: list[str] = []  # roles that may set coefficients by reply
    to: list[str] = field(default_factory=lambda: ["operator"])
    day: Annotated[int, Meta(ge=1, le=28)] = 1  # of the following month
    time: ClockTime = "08:00"

    def __post_init__(self) -> None:
        for category, genre in self.categories.items():
            if category != "default" and category not in CATEGORIES:
                raise ValueError(f"categories.{category}: không phải hạng mục nào ({', '.join(CATEGORIES)})")
            if genre and genre not in self.genres:
                raise ValueError(f"categories.{category}: không có thể loại {genre!r} ({', '.join(self.genres)})")
        if self.photo_genre is not None and self.photo_genre not in self.genres:
            raise ValueError(f"photo_genre: không có thể loại {self.photo_genre!r}")

    def genre_for(self, category: str) -> tuple[str, Genre] | None:
        """The genre an item of this category is paid as; None when the category earns no royalty."""
        key = self.categories.get(category, self.categories.get("default", ""))
        return (key, self.genres[key]) if key else None


class PeriodicReport(Strict, kw_only=True):
    """A report on the period just ended, sent on ``day`` at ``time`` after its end."""

    every: Literal["month", "quarter", "half_year", "year"]
    article: str
    to: list[str] = field(default_factory=lambda: ["office_head"])
    day: Annotated[int, Meta(ge=1, le=28)] = 1
    time: ClockTime = "08:00"


class Quota(Strict, kw_only=True):
    """Items each board member writes a month (counted by author on published items), with one reminder."""

    items_per_month: Annotated[int, Meta(ge=1)]
    article: str
    roles: list[str] | None = None  # None: the whole board
    remind_day: Annotated[int, Meta(ge=1, le=28)] = 15
    remind_time: ClockTime = "08:00"


class Backup(Strict, kw_only=True):
    """A nightly copy of the database and the archive, rotated grandfather-father-son."""

    enabled: bool = True
    time: ClockTime = "02:00"
    folder: Path | None = None  # default: data_dir/backups; better on another disk
    daily: Annotated[int, Meta(ge=1)] = 7
    weekly: Annotated[int, Meta(ge=0)] = 4
    monthly: Annotated[int, Meta(ge=0)] = 12
    article: str = ""


class Settings(Strict, kw_only=True):
    preset: str
    preset_name: str = ""
    regulation: str = ""
    site_name: str
    # Which site every row belongs to. One site per database (a commune) keeps "default"; a province's
    # directory of site files (`toasoan run --sites`) names each site by its file's stem unless set here.
    site_id: Annotated[str, Meta(pattern=SITE_ID)] = "default"
    language: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    data_dir: Path
    database_url: str | None = None
    secret: Secret
    trusted_authserv_id: str | None = None
    imap: ImapSettings
    smtp: SmtpSettings
    cms: CmsSettings
    office_head: Person
    operator: Person | None = None  # the office that runs the site: told about failing addresses
    board: Annotated[list[Person], Meta(min_length=1)]
    approval: dict[str, Approval] = {}  # per category, or "default"
    departments: list[Department] = []
    roles: dict[str, Role] = {}
    calendar: Calendar = field(default_factory=Calendar)
    rules: dict[str, Rule] = {}
    escalation: list[EscalationStep] = field(default_factory=lambda: list(DEFAULT_LADDER))
    issuer_names: list[str] = []  # how the site's own documents name their issuer
    questions: Questions = field(default_factory=Questions)
    secrecy: SecrecyPolicy = field(default_factory=SecrecyPolicy)
    notices: Notices = field(default_factory=Notices)
    assignment: Assignment = field(default_factory=Assignment)
    default_category: str = "news"
    max_message_bytes: int = 40 * 1024 * 1024
    max_attachments: int = 30
    max_attachment_bytes: int = 25 * 1024 * 1024
    royalties: Royalties | None = None
    reports: list[PeriodicReport] = []
    quota: Quota | None = None
    backup: Backup = field(default_factory=Backup)
    chart_font: Path | None = None  # a TrueType font with Vietnamese glyphs; default: DejaVu Sans or Noto Sans

    def __post_init__(self) -> None:
        for i, person in enumerate(self.board):
            if self.roles and person.role not in self.roles:
                raise ValueError(
                    f"board[{i}].role: vai trò {person.role!r} không có trong roles ({', '.join(self.roles)})"
                )
        for category, policy in self.approval.items():
            if category != "default" and category not in CATEGORIES:
                raise ValueError(f"approval.{category}: không phải hạng mục nào ({', '.join(CATEGORIES)})")
            unknown = [r for r in policy.roles or [] if r not in self.roles]
            if unknown:
                raise ValueError(f"approval.{category}.roles: không có vai trò {', '.join(unknown)}")
            allowed = [p for p in self.board if self.may_approve(p, category)]
            if len(allowed) < policy.count:
                raise ValueError(
                    f"approval.{category}.count: cần {policy.count} người duyệt nhưng Ban biên tập chỉ có "
                    f"{len(allowed)} người được duyệt"
                )
        unknown = [r for r in self.secrecy.notify_roles if r not in self.roles]
        if unknown:
            raise ValueError(f"secrecy.notify_roles: không có vai trò {', '.join(unknown)}")
        targets = {"board", "approvers", "office_head", *self.roles}
        for i, step in enumerate(self.escalation):
            for who in step.to:
                if who not in targets:
                    raise ValueError(f"escalation[{i}].to: {who!r} không phải một trong {', '.join(sorted(targets))}")
        if [s.at for s in self.escalation] != sorted(s.at for s in self.escalation):
            raise ValueError("escalation: các bậc phải theo thứ tự at tăng dần")
        self._check_reporting(targets)

    def _check_reporting(self, targets: set[str]) -> None:
        """Roles and recipients named by royalties, reports and quota exist."""
        targets = {*targets, "operator"}
        named = []
        if self.royalties:
            named += [("royalties.set_by", r, set(self.roles)) for r in self.royalties.set_by]
            named += [("royalties.to", r, targets) for r in self.royalties.to]
        for i, report in enumerate(self.reports):
            named += [(f"reports[{i}].to", r, targets) for r in report.to]
        if self.quota and self.quota.roles:
            named += [("quota.roles", r, set(self.roles)) for r in self.quota.roles]
        named += [("notices.publishing.to", r, targets) for r in self.notices.publishing.to]
        for rule_id, rule in self.notices.silence.items():
            named += [(f"notices.silence.{rule_id}.to", r, targets) for r in rule.to]
        named += [("assignment.roles", r, set(self.roles)) for r in self.assignment.roles or []]
        for key, value, allowed in named:
            if value not in allowed:
                raise ValueError(f"{key}: {value!r} không phải một trong {', '.join(sorted(allowed))}")

    def approval_for(self, category: str) -> Approval:
        return self.approval.get(category) or self.approval.get("default") or Approval()

    def may_approve(self, person: Person, category: str) -> bool:
        policy = self.approval_for(category)
        if policy.roles is not None:
            return person.role in policy.roles
        role = self.roles.get(person.role)
        return role.may_approve if role else not self.roles

    @property
    def admin(self) -> Person:
        return self.operator or self.office_head

    def may_assign(self, person: Person) -> bool:
        roles = self.assignment.roles
        if roles is None:
            return bool((role := self.roles.get(person.role)) and role.may_approve) or not self.roles
        return person.role in roles

    def secret_recipients(self) -> list[Person]:
        """Those the preset names to be told of a held secret document; the office head when it names none."""
        chosen = [p for p in self.board if p.role in self.secrecy.notify_roles]
        return chosen or [self.office_head]

    def recipients(self, step: EscalationStep) -> list[Person]:
        return self.people(step.to)

    def people(self, to: list[str]) -> list[Person]:
        """'office_head', 'operator', 'board', 'approvers' or role ids, as people, each once."""
        people: dict[str, Person] = {}
        for who in to:
            if who == "office_head":
                chosen = [self.office_head]
            elif who == "board":
                chosen = self.board
            elif who == "operator":
                chosen = [self.admin]
            elif who == "approvers":
                chosen = [p for p in self.board if (role := self.roles.get(p.role)) and role.may_approve]
            else:
                chosen = [p for p in self.board if p.role == who]
            people.update((p.address, p) for p in chosen)
        return list(people.values())

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'toasoan.db'}"

    def board_member(self, address: str) -> Person | None:
        address = address.lower()
        return next((p for p in self.board if p.address == address), None)

    def department_of(self, address: str) -> Department | None:
        address = address.lower()
        domain = address.rpartition("@")[2]
        for dep in self.departments:
            if address in (a.lower() for a in dep.addresses) or domain in (d.lower() for d in dep.domains):
                return dep
        return None

    def rule_for(self, category: str, own_issuer: bool = False) -> tuple[str, Rule] | None:
        """The preset rule for a category, in file order; a rule for the site's own documents first when
        the document is one of them."""
        matching = [(rule_id, rule) for rule_id, rule in self.rules.items() if rule.category == category]
        if own_issuer:
            own = [pair for pair in matching if pair[1].own_issuer]
            if own:
                return own[0]
        general = [pair for pair in matching if not pair[1].own_issuer]
        return general[0] if general else None


RELATIVE_PATHS = (("data_dir",), ("backup", "folder"), ("cms", "folder"), ("chart_font",))  # to the file's folder


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _pull_secrets(raw: dict, base: Path) -> None:
    raw["secret"] = _secret(raw, "secret", "secret", base)
    for section, required in (("imap", True), ("smtp", False), ("cms", False)):
        if isinstance(raw.get(section), dict):
            raw[section]["password"] = _secret(raw[section], "password", f"{section}.password", base, required=required)
    if isinstance(raw.get("database"), dict):
        db = raw.pop("database")
        raw["database_url"] = _secret(db, "url", "database.url", base, required=False)


# msgspec's errors, as the file's reader is told them: (its English, ours). A check of our own that names a
# key ("address: …") is told under that key.
ERRORS = (
    (r"Object missing required field `(?P<key>[^`]+)`", "thiếu khóa bắt buộc"),
    (r"Object contains unknown field `(?P<key>[^`]+)`", "khóa không có ở đây (viết sai tên?)"),
    (rf"Expected `str` matching regex {re.escape(repr(CLOCK_TIME))}", "giờ không hợp lệ (viết như 08:00)"),
    (rf"Expected `str` matching regex {re.escape(repr(SITE_ID))}", "chỉ chữ thường không dấu, số, - và _ (đến 63)"),
    (r"Expected `(?P<want>\w+)` of length >= (?P<bound>\S+)", "cần ít nhất {bound} mục"),
    (r"Expected `(?P<want>\w+)` (?P<op>[<>]=?) (?P<bound>\S+)", "cần {want} {op} {bound}"),
    (r"Expected `(?P<want>[\w |]+)`, got `(?P<got>\w+)`", "cần {want}, không phải {got}"),
    (r"Invalid enum value (?P<value>.*)", "giá trị {value} không được phép"),
    (r"(?P<key>[\w.\[\]-]+): (?P<text>.*)", "{text}"),
)
TYPE_NAMES = {
    "int": "số nguyên",
    "float": "số",
    "str": "chuỗi",
    "bool": "true/false",
    "array": "danh sách",
    "object": "bảng",
    "null": "rỗng",
}


def _error(exc: msgspec.ValidationError, raw: dict) -> str:
    """'imap.port: cần số nguyên, không phải chuỗi' from msgspec's "Expected `int`, got `str` - at `$.imap.port`"."""
    text, _, where = str(exc).partition(" - at `$")
    where = _name_keys(where.rstrip("`"), raw).lstrip(".")
    for pattern, told in ERRORS:
        if m := re.fullmatch(pattern, text, re.DOTALL):
            parts = {k: " | ".join(TYPE_NAMES.get(t, t) for t in v.split(" | ")) for k, v in m.groupdict().items()}
            where = ".".join(filter(None, (where, parts.pop("key", None))))
            text = told.format(**parts)
            break
    return f"{where or '(gốc)'}: {text}"


def _name_keys(where: str, raw: dict) -> str:
    """msgspec writes a table's key as "[...]" (``rules[...].amount``): it is the table's first key whose value
    does not pass alone. Only an error's path is walked, so the type hints are read only then."""
    node, kind, named = raw, Settings, ""
    for name, index in re.findall(r"\.([^.\[]+)|\[([^\]]*)\]", where):
        while typing.get_origin(kind) in (Annotated, types.UnionType):
            kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
        if name:
            hints = typing.get_type_hints(kind, include_extras=True) if isinstance(kind, type) else {}
            node, kind, named = node.get(name) if isinstance(node, dict) else None, hints.get(name), f"{named}.{name}"
        elif index == "..." and isinstance(node, dict) and typing.get_origin(kind) is dict:
            kind = typing.get_args(kind)[1]
            key = next((key for key, value in node.items() if not _passes(value, kind)), None)
            node, named = node.get(key), f"{named}.{key}" if key is not None else f"{named}[...]"
        else:
            node = node[int(index)] if isinstance(node, list) and index.isdigit() else None
            kind = typing.get_args(kind)[0] if typing.get_args(kind) else None
            named = f"{named}[{index}]"
    return named


def _passes(value: object, kind: object) -> bool:
    try:
        msgspec.convert(value, kind, dec_hook=_paths)
    except msgspec.ValidationError:
        return False
    return True


def _paths(kind: type, value: object) -> object:
    if kind is not Path:
        raise NotImplementedError
    if not isinstance(value, str | Path):
        raise ValueError(f"cần một đường dẫn, không phải {value!r}")
    return Path(value)


def settings_from_dict(raw: dict, base: Path) -> Settings:
    raw = copy.deepcopy(raw)
    preset_name = raw.get("preset")
    if not preset_name:
        raise ConfigError("preset: thiếu khóa preset (một trong: " + ", ".join(preset_names()) + ")")
    preset = load_preset(preset_name)
    meta = {"preset_name": preset.pop("name", preset_name), "regulation": preset.pop("regulation", "")}
    preset.pop("id", None)
    raw = _merge(_merge(meta, preset), raw)
    _pull_secrets(raw, base)
    db_secret = raw.get("database_url")
    if isinstance(db_secret, Secret):
        raw["database_url"] = db_secret.resolve()
    raw.setdefault("data_dir", "data")
    for *tables, key in RELATIVE_PATHS:
        table = raw
        for name in tables:
            table = table.get(name) if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(table.get(key), str) and table[key]:
            table[key] = (base / table[key]).resolve()
    try:
        return msgspec.convert(raw, Settings, dec_hook=_paths)
    except msgspec.ValidationError as exc:
        raise ConfigError(_error(exc, raw)) from None


def load_settings(path: str | Path, site_id: str | None = None) -> Settings:
    """``site_id``: the site's id when the file sets none (a directory of site files names each by its stem)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"không đọc được tệp cấu hình {path}: {exc.strerror}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML không hợp lệ: {exc}") from exc
    if site_id is not None:
        raw.setdefault("site_id", site_id)
    return settings_from_dict(raw, path.resolve().parent)
