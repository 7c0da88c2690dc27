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
from datetime import time
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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


class Strict(BaseModel):
    """Empty lists and tables are written as plain defaults (pydantic copies a default for each model):
    ``Field(default_factory=list)`` made pydantic read ``list``'s signature text for each such field, a
    few milliseconds of every command's start. Annotations are not postponed, for the same reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Secret(Strict):
    """Where a secret comes from: an environment variable or a file, never the TOML itself."""

    env: str | None = None
    file: Path | None = None
    key: str = ""  # the dotted key, for messages
    value: str | None = Field(default=None, repr=False)  # set by code only (inspect's throw-away key)

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


class ImapSettings(Strict):
    host: str
    port: int = 993
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str
    password: Secret
    ca_file: Path | None = None
    inbox: str = "INBOX"
    processed_folder: str = "Toasoan/Processed"
    idle: bool = True
    poll_seconds: float = Field(60, gt=0, le=1500)  # inbox re-read at least this often, IDLE or not (RFC 2177)


class SmtpSettings(Strict):
    host: str
    port: int = 587
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    ca_file: Path | None = None
    from_address: str
    from_name: str = "Ban biên tập"
    timeout_seconds: float = 30


class CmsSettings(Strict):
    kind: Literal["wordpress", "folder"] = "wordpress"
    url: str = ""  # WordPress site root; kind = "folder": the address its local website is served at
    username: str | None = None
    password: Secret | None = None
    folder: Path | None = None  # kind = "folder": where previews are written
    categories: dict[str, str] = {}  # canonical key -> CMS category name
    timeout_seconds: float = 60

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.kind == "wordpress" and (not self.url or not self.username or self.password is None):
            raise ValueError("kind = 'wordpress' cần url, username và password_env/password_file")
        if self.kind == "folder" and self.folder is None:
            raise ValueError("kind = 'folder' cần folder")
        return self


def _valid_address(v: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v):
        raise ValueError(f"địa chỉ thư không hợp lệ: {v!r}")
    return v.lower()


class Person(Strict):
    name: str
    address: str
    role: str = "thanh_vien"

    @field_validator("address")
    @classmethod
    def _lower(cls, v: str) -> str:
        return _valid_address(v)


class Department(Strict):
    name: str
    addresses: list[str] = []
    domains: list[str] = []


class Role(Strict):
    name: str  # Vietnamese title
    may_approve: bool = False


class Rule(Strict):
    category: str
    amount: float = Field(1, gt=0)
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

    @field_validator("category")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"hạng mục không có: {v!r}; dùng một trong {', '.join(CATEGORIES)}")
        return v


class Approval(Strict):
    """Who may publish items of a category, and how many of them must agree."""

    roles: list[str] | None = None  # None: every role with may_approve
    count: int = Field(1, ge=1)


class EscalationStep(Strict):
    """At this fraction of the period, tell these people; 'board', 'approvers', 'office_head' or role ids."""

    at: float = Field(gt=0, le=1)
    to: list[str] = Field(min_length=1)
    repeat: Literal["none", "working_day"] = "none"  # then once a working day while overdue


DEFAULT_LADDER = [
    EscalationStep(at=0.5, to=["board"]),
    EscalationStep(at=0.8, to=["approvers"]),
    EscalationStep(at=1.0, to=["office_head"], repeat="working_day"),
]


def _parse_span(text: str) -> tuple[time, time]:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not m:
        raise ValueError(f"khoảng giờ không hợp lệ: {text!r} (viết như 07:30-11:30)")
    a, b = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
    if not a < b:
        raise ValueError(f"giờ bắt đầu phải trước giờ kết thúc: {text!r}")
    return a, b


class Topic(Strict):
    """A field of citizens' questions (lĩnh vực) and the words that reveal it; data of the preset."""

    name: str
    unit: str = ""  # the office usually competent at this level (named only: the site gives the address)
    keywords: list[str] = []


class Unit(Strict):
    """The unit competent to answer a topic's questions (the site's routing table, like FixMyStreet's
    categories to bodies)."""

    name: str
    address: str

    @field_validator("address")
    @classmethod
    def _lower(cls, v: str) -> str:
        return _valid_address(v)


class Questions(Strict):
    """Citizens' questions and feedback (hỏi đáp, góp ý, phản ánh kiến nghị): how they are recognised,
    routed, timed and published. The answer period is the preset's rule for category ``qa``."""

    addresses: list[str] = []  # Q&A addresses delivered to the board's mailbox
    form_senders: list[str] = []  # the site's contact form: the citizen in Reply-To
    topics: dict[str, Topic] = {}
    units: dict[str, Unit] = {}  # topic id -> competent unit
    default_unit: Unit | None = None  # for a topic with no unit of its own
    auto_forward: bool = False  # forward to the unit at once instead of waiting for the board
    forward_after_hours: float = Field(4, ge=0)  # working hours the board has to override the routing
    reminders: list[int] = Field(default_factory=lambda: [3, 1])  # working days before the deadline
    very_overdue_days: int = Field(15, gt=0)  # working days after the deadline
    daily_limit: int = Field(3, ge=1)  # new questions a sender may open a day
    show_names: bool = False  # publish the asker's full name instead of initials

    @field_validator("addresses", "form_senders")
    @classmethod
    def _lower_all(cls, v: list[str]) -> list[str]:
        return [a.lower() for a in v]

    @model_validator(mode="after")
    def _known_topics(self) -> Self:
        unknown = [t for t in self.units if t not in self.topics]
        if unknown:
            raise ValueError(f"units: không có lĩnh vực {', '.join(unknown)} trong questions.topics")
        return self

    def unit_for(self, topic: str | None) -> Unit | None:
        return self.units.get(topic or "") or self.default_unit


class SecrecyPolicy(Strict):
    """Who is told that a secret-stamped document arrived and was held: its number and sender only."""

    notify_roles: list[str] = []  # empty: the office head alone
    article: str = ""


class PublishingAlert(Strict):
    """Publishing that keeps failing is mailed to the office once, when a post has failed ``after_failures``
    times or for ``after_minutes``, and once again when it goes out: not a mail per retry."""

    after_failures: int = Field(3, ge=1)
    after_minutes: float = Field(30, gt=0)
    to: list[str] = Field(default_factory=lambda: ["operator"])  # 'operator', 'office_head', 'board' or role ids
    article: str = ""


class Silence(Strict):
    """A silence alert (scheduler/silence.py): nothing published for ``amount`` ``unit`` (kind "no_post"), or no
    item of a category, and with one of ``title_words`` in its title, published for the week by
    ``weekday`` at ``time`` (kind "weekly"). Told once per silence episode or week, inside office hours."""

    kind: Literal["no_post", "weekly"]
    amount: float = Field(1, gt=0)  # no_post: how long a silence may last
    unit: Literal["hours", "working_hours", "days", "working_days"] = "working_days"
    category: str = "schedule"  # weekly: what is expected, recognised by category or by title words
    title_words: list[str] = []
    weekday: int = Field(0, ge=0, le=6)  # weekly: Monday = 0; a day off moves it to the next working day
    time: str = "08:00"
    since_days: int = Field(4, ge=0, le=7)  # weekly: published from this many days before the week's Monday
    to: list[str] = Field(default_factory=lambda: ["office_head", "board"])
    article: str
    description: str = ""

    @field_validator("time")
    @classmethod
    def _time(cls, v: str) -> str:
        return _clock_time(v)

    @field_validator("category")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"hạng mục không có: {v!r}; dùng một trong {', '.join(CATEGORIES)}")
        return v


class Notices(Strict):
    """What the board is told beyond an item's deadline, each citing its article."""

    website_recipient_article: str = ""  # set: the site's own documents must list the website (Đắk Mar Đ11.3)
    repeal_article: str = ""  # cited when the board is asked to take down a post of a repealed document
    publishing: PublishingAlert = Field(default_factory=PublishingAlert)
    silence: dict[str, Silence] = {}  # rule id -> rule


class Assignment(Strict):
    """Who may assign a draft to a board member by replying "Giao: <member>" (Đắk Mar Đ10.3, Kon Tum Đ7.3)."""

    roles: list[str] | None = None  # None: every role that may approve
    article: str = ""


class Calendar(Strict):
    office_hours: str = "07:30-11:30,13:30-17:00"
    working_weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])  # Monday = 0
    extra_days_off: list[str] = []  # ISO dates
    extra_working_days: list[str] = []

    @field_validator("office_hours")
    @classmethod
    def _spans(cls, v: str) -> str:
        spans = [_parse_span(part) for part in v.split(",")]
        for (_, end), (start, _) in itertools.pairwise(spans):
            if not end <= start:
                raise ValueError(f"các khoảng giờ phải theo thứ tự và không chồng nhau: {v!r}")
        return v

    def spans(self) -> list[tuple[time, time]]:
        return [_parse_span(part) for part in self.office_hours.split(",")]


def _clock_time(v: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
        raise ValueError(f"giờ không hợp lệ: {v!r} (viết như 08:00)")
    return v


ClockTime = Annotated[str, AfterValidator(_clock_time)]


class Genre(Strict):
    """A genre of the royalty frame (Nghị định 18/2014/NĐ-CP): its coefficient range and the default used
    when nobody sets one; ``per = "photo"`` counts each photo of an item."""

    name: str
    min: float = Field(gt=0)
    max: float = Field(gt=0)
    default: float = Field(gt=0)
    per: Literal["item", "photo"] = "item"

    @model_validator(mode="after")
    def _in_range(self) -> Self:
        if not self.min <= self.default <= self.max:
            raise ValueError(f"cần min ≤ default ≤ max (đang {self.min:g} ≤ {self.default:g} ≤ {self.max:g})")
        return self


class Royalties(Strict):
    """Royalty = coefficient × unit value, per genre; the monthly list goes to the office."""

    article: str
    unit_value: int = Field(gt=0)  # đồng per coefficient, set by the site's head
    genres: dict[str, Genre] = Field(min_length=1)
    categories: dict[str, str] = {}  # canonical category (or "default") -> genre
    photo_genre: str | None = None  # an item's photos are counted per photo in this genre
    max_photos: int = Field(10, ge=0)  # photos counted per item at most
    set_by: list[str] = []  # roles that may set coefficients by reply
    to: list[str] = Field(default_factory=lambda: ["operator"])
    day: int = Field(1, ge=1, le=28)  # of the following month
    time: ClockTime = "08:00"

    @model_validator(mode="after")
    def _known(self) -> Self:
        for category, genre in self.categories.items():
            if category != "default" and category not in CATEGORIES:
                raise ValueError(f"categories.{category}: không phải hạng mục nào ({', '.join(CATEGORIES)})")
            if genre and genre not in self.genres:
                raise ValueError(f"categories.{category}: không có thể loại {genre!r} ({', '.join(self.genres)})")
        if self.photo_genre is not None and self.photo_genre not in self.genres:
            raise ValueError(f"photo_genre: không có thể loại {self.photo_genre!r}")
        return self

    def genre_for(self, category: str) -> tuple[str, Genre] | None:
        """The genre an item of this category is paid as; None when the category earns no royalty."""
        key = self.categories.get(category, self.categories.get("default", ""))
        return (key, self.genres[key]) if key else None


class PeriodicReport(Strict):
    """A report on the period just ended, sent on ``day`` at ``time`` after its end."""

    every: Literal["month", "quarter", "half_year", "year"]
    article: str
    to: list[str] = Field(default_factory=lambda: ["office_head"])
    day: int = Field(1, ge=1, le=28)
    time: ClockTime = "08:00"


class Quota(Strict):
    """Items each board member writes a month (counted by author on published items), with one reminder."""

    items_per_month: int = Field(ge=1)
    article: str
    roles: list[str] | None = None  # None: the whole board
    remind_day: int = Field(15, ge=1, le=28)
    remind_time: ClockTime = "08:00"


class Backup(Strict):
    """A nightly copy of the database and the archive, rotated grandfather-father-son."""

    enabled: bool = True
    time: ClockTime = "02:00"
    folder: Path | None = None  # default: data_dir/backups; better on another disk
    daily: int = Field(7, ge=1)
    weekly: int = Field(4, ge=0)
    monthly: int = Field(12, ge=0)
    article: str = ""


class Settings(Strict):
    preset: str
    preset_name: str = ""
    regulation: str = ""
    site_name: str
    # Which site every row belongs to. One site per database (a commune) keeps "default"; a province's
    # directory of site files (`toasoan run --sites`) names each site by its file's stem unless set here.
    site_id: str = Field("default", pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
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
    board: list[Person] = Field(min_length=1)
    approval: dict[str, Approval] = {}  # per category, or "default"
    departments: list[Department] = []
    roles: dict[str, Role] = {}
    calendar: Calendar = Field(default_factory=Calendar)
    rules: dict[str, Rule] = {}
    escalation: list[EscalationStep] = Field(default_factory=lambda: list(DEFAULT_LADDER))
    issuer_names: list[str] = []  # how the site's own documents name their issuer
    questions: Questions = Field(default_factory=Questions)
    secrecy: SecrecyPolicy = Field(default_factory=SecrecyPolicy)
    notices: Notices = Field(default_factory=Notices)
    assignment: Assignment = Field(default_factory=Assignment)
    default_category: str = "news"
    max_message_bytes: int = 40 * 1024 * 1024
    max_attachments: int = 30
    max_attachment_bytes: int = 25 * 1024 * 1024
    royalties: Royalties | None = None
    reports: list[PeriodicReport] = []
    quota: Quota | None = None
    backup: Backup = Field(default_factory=Backup)
    chart_font: Path | None = None  # a TrueType font with Vietnamese glyphs; default: DejaVu Sans or Noto Sans

    @model_validator(mode="after")
    def _consistent(self) -> Self:
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
        return self

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


def _location(loc: tuple) -> str:
    return ".".join(str(part) if not isinstance(part, int) else f"[{part}]" for part in loc).replace(".[", "[")


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
    data_dir = Path(raw.get("data_dir", "data"))
    raw["data_dir"] = (data_dir if data_dir.is_absolute() else base / data_dir).resolve()
    cms = raw.get("cms")
    backup = raw.get("backup")
    if isinstance(backup, dict) and backup.get("folder"):
        folder = Path(backup["folder"])
        backup["folder"] = (folder if folder.is_absolute() else base / folder).resolve()
    if raw.get("chart_font"):
        raw["chart_font"] = (base / raw["chart_font"]).resolve()
    if isinstance(cms, dict) and cms.get("folder"):
        folder = Path(cms["folder"])
        cms["folder"] = (folder if folder.is_absolute() else base / folder).resolve()
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = _location(tuple(p for p in err["loc"] if p not in ("function-after",)))
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{where or '(gốc)'}: {msg}")
        raise ConfigError("\n".join(lines)) from None


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
