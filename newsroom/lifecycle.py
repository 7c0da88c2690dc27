"""Lifecycles as data: the states of drafts and of citizens' questions, and the only moves between them.

Each table maps (state, event) to the next state. Code moves a record only through ``Lifecycle.move``,
which refuses any pair the table does not list, so a new branch of code cannot invent a transition; the
caller writes the move into the audit log (``from``, ``to``, ``event``). "Overdue" and "very overdue"
are not states: they are read off the deadlines (see ``newsroom.questions.phase``).
"""

from __future__ import annotations

from dataclasses import dataclass


class TransitionRefused(Exception):
    """An event the table does not allow in the record's present state; the message says so in Vietnamese."""


@dataclass(frozen=True)
class Lifecycle:
    name: str
    states: dict[str, str]  # state -> Vietnamese name
    transitions: dict[tuple[str, str], str]  # (state, event) -> next state

    def __post_init__(self) -> None:
        for (state, event), target in self.transitions.items():
            if state not in self.states or target not in self.states:
                raise ValueError(f"{self.name}: {state} --{event}--> {target} names an unknown state")

    def allows(self, state: str, event: str) -> bool:
        return (state, event) in self.transitions

    def next(self, state: str, event: str) -> str:
        try:
            return self.transitions[(state, event)]
        except KeyError:
            raise TransitionRefused(
                f"không thể “{event}” khi {self.name} đang ở trạng thái “{self.states.get(state, state)}”"
            ) from None

    def move(self, record, event: str) -> tuple[str, str]:
        """Set ``record.status`` to the state ``event`` leads to; returns (from, to) for the audit."""
        before = record.status
        record.status = self.next(before, event)
        return before, record.status


DRAFT = Lifecycle(
    "bài",
    {
        "received": "mới nhận",
        "in_review": "chờ duyệt",
        "changes_requested": "chờ sửa",
        "approved": "đã duyệt, đang đăng",
        "published": "đã đăng",
        "unpublished": "đã gỡ",
        "rejected": "bị từ chối",
        "held": "tạm giữ",
        "correcting": "đã đăng, bản đính chính chờ duyệt",
    },
    {
        **{
            (state, event): target
            for state in ("received", "in_review", "changes_requested")
            for event, target in (
                ("approve", "approved"),
                ("schedule", "approved"),
                ("reject", "rejected"),
                ("request_changes", "changes_requested"),
                ("revise", "in_review"),
                ("hold", "held"),  # a new revision stamped secret
            )
        },
        ("approved", "hold"): "held",
        ("approved", "revise"): "in_review",  # an approval was of the previous revision
        ("held", "revise"): "held",  # a corrected secret document stays held
        ("approved", "publish"): "published",
        ("published", "unpublish"): "unpublished",
        # A correction of a published post (Đắk Mar Đ8.1d): the new version goes through the same approval
        # and then updates the same post; refused, the post stays as it was.
        ("published", "revise"): "correcting",
        ("correcting", "revise"): "correcting",
        ("correcting", "approve"): "approved",
        ("correcting", "schedule"): "approved",
        ("correcting", "reject"): "published",
        ("correcting", "request_changes"): "changes_requested",
        ("correcting", "hold"): "held",
        # "Giao: <member>" (Đắk Mar Đ10.3, Kon Tum Đ7.3): an undecided item gets an owner; its state stays
        **{(state, "assign"): state for state in ("received", "in_review", "changes_requested", "correcting")},
    },
)

QUESTION = Lifecycle(
    "câu hỏi",
    {
        "received": "mới nhận, chờ chuyển",
        "forwarded": "đã chuyển đơn vị trả lời",
        "extended": "đơn vị xin gia hạn",
        "answer_pending": "đã có trả lời, chờ duyệt",
        "answered": "đã trả lời công dân",
        "published": "đã trả lời và đăng",
        "out_of_scope": "ngoài phạm vi",
        "closed": "đã đóng",
    },
    {
        ("received", "forward"): "forwarded",
        ("received", "out_of_scope"): "out_of_scope",
        ("received", "extend"): "extended",
        ("forwarded", "forward"): "forwarded",  # the board sends it to another unit
        ("forwarded", "extend"): "extended",
        ("forwarded", "answer"): "answer_pending",
        ("forwarded", "out_of_scope"): "out_of_scope",
        ("extended", "forward"): "extended",
        ("extended", "extend"): "extended",
        ("extended", "answer"): "answer_pending",
        ("extended", "out_of_scope"): "out_of_scope",
        ("answer_pending", "answer"): "answer_pending",  # the unit sends a better answer first
        ("answer_pending", "approve"): "answered",
        ("answer_pending", "approve_publish"): "published",
        ("answer_pending", "request_changes"): "forwarded",
        ("answer_pending", "extend"): "extended",
        ("answer_pending", "out_of_scope"): "out_of_scope",  # the unit says it is not competent
        ("answer_pending", "forward"): "forwarded",  # … and the board sends it to the right unit
        ("answered", "close"): "closed",
        ("published", "close"): "closed",
        ("out_of_scope", "close"): "closed",
    },
)
OPEN_QUESTION = ("received", "forwarded", "extended", "answer_pending")  # the answer period runs
