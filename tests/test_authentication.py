"""Reading the trusted server's Authentication-Results: DMARC, aligned DKIM, and forged headers below it."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from intake.authentication import aligned, verify
from intake.message import parse


def mail(*results: str, sender: str = "truongban@kep.gov.vn"):
    msg = EmailMessage()
    for value in results:  # top first, as a server prepends
        msg["Authentication-Results"] = value
    msg["From"], msg["To"], msg["Subject"] = sender, "bbt@kep.gov.vn", "Re: x"
    msg.set_content("Duyệt")
    return parse(bytes(msg))


@pytest.mark.parametrize(
    ("results", "passed"),
    [
        (["mx.kep.gov.vn; dmarc=pass header.from=kep.gov.vn"], True),
        (["mx.kep.gov.vn; dkim=pass header.d=kep.gov.vn; dmarc=none"], True),
        (["mx.kep.gov.vn; dkim=pass header.d=mail.kep.gov.vn"], True),  # relaxed alignment
        (["mx.kep.gov.vn; dkim=pass header.d=gmail.com; dmarc=fail header.from=kep.gov.vn"], False),
        (["mx.kep.gov.vn; spf=pass smtp.mailfrom=kep.gov.vn"], False),  # SPF alone proves nothing about From
        (["mx.evil.example; dmarc=pass header.from=kep.gov.vn"], False),  # not our server
        (
            ["mx.kep.gov.vn; dmarc=fail header.from=kep.gov.vn", "mx.kep.gov.vn; dmarc=pass header.from=kep.gov.vn"],
            False,
        ),
        ([], False),
    ],
)
def test_verdicts(results, passed):
    assert verify(mail(*results), "mx.kep.gov.vn")[0] is passed


def test_no_trusted_server_configured_means_no_check():
    assert verify(mail(), None) == (True, "")


def test_alignment():
    assert aligned("kep.gov.vn", "KEP.gov.vn") and aligned("mail.kep.gov.vn", "kep.gov.vn")
    assert not aligned("evilkep.gov.vn", "kep.gov.vn") and not aligned("gov.vn.evil", "gov.vn")
