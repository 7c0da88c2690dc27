"""Reply keys: an HMAC of the site, the draft's key and revision under the site's secret.

The key travels in the Reply-To plus-address (``bbt+ts00042-1-3f9a…@``) and in the subject tag, so a
reply can be tied to one draft and one revision and a forged or cross-draft key is recognised.
A citizen's question (``HD00012``) uses the same mechanism, with the party in place of the revision
(``newsroom.questions.PARTIES``): one reply address per question and party, like Alaveteli's.
The site is signed too: sites sharing a database (and maybe a secret) each number their drafts from
TS00001, and a key of one site must not decide another's TS00001. The site "default" (a commune's one
site) signs the draft and revision alone, as before sites existed, so the keys in mail already sent
stay valid.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

TOKEN_RE = re.compile(r"\b((?:ts|hd)\d{5,})-(\d{1,4})-([0-9a-f]{16})\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReplyKey:
    draft_key: str
    revision: int
    mac: str

    @property
    def token(self) -> str:
        return f"{self.draft_key.lower()}-{self.revision}-{self.mac}"


def _mac(secret: str, site: str, draft_key: str, revision: int) -> str:
    msg = f"{draft_key.upper()}:{revision}" if site == "default" else f"{site}\n{draft_key.upper()}:{revision}"
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()[:16]


def make(secret: str, site: str, draft_key: str, revision: int) -> ReplyKey:
    return ReplyKey(draft_key.upper(), revision, _mac(secret, site, draft_key, revision))


def find(text: str) -> ReplyKey | None:
    """The first key-shaped token in ``text``, not yet verified."""
    m = TOKEN_RE.search(text or "")
    return ReplyKey(m[1].upper(), int(m[2]), m[3].lower()) if m else None


def verify(secret: str, site: str, key: ReplyKey) -> bool:
    return hmac.compare_digest(_mac(secret, site, key.draft_key, key.revision), key.mac)


def plus_address(address: str, key: ReplyKey) -> str:
    local, _, domain = address.partition("@")
    return f"{local}+{key.token}@{domain}"
