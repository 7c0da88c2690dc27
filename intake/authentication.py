"""Is this reply really from the address it shows? Read from the site's own mail server's verdict.

Only the topmost Authentication-Results header carrying the trusted server's authserv-id counts: a
server prepends its own, so one a sender forged lies below it (RFC 8601 §5). A reply passes with DMARC
pass, or with DKIM pass for a domain aligned with the From address.
"""

from __future__ import annotations

import authres

from intake.message import Mail


def aligned(a: str, b: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other."""
    a, b = a.lower().strip("."), b.lower().strip(".")
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def verify(mail: Mail, trusted_authserv_id: str | None) -> tuple[bool, str]:
    """(passed, what the server said); always passes where the site names no trusted server."""
    if not trusted_authserv_id:
        return True, ""
    domain = mail.sender_address.rpartition("@")[2]
    for header in mail.header_values("Authentication-Results"):
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(" ".join(str(header).split()))
        except Exception:  # authres raises its own syntax errors and plain ones on odd input
            continue
        if parsed.authserv_id.lower() != trusted_authserv_id.lower():
            continue
        summary = "; ".join(f"{r.method}={r.result}" for r in parsed.results)
        for result in parsed.results:
            props = {(p.type, p.name): p.value for p in result.properties}
            if (
                result.method == "dmarc"
                and result.result == "pass"
                and aligned(props.get(("header", "from"), ""), domain)
            ):
                return True, f"{parsed.authserv_id}: {summary}"
            if result.method == "dkim" and result.result == "pass":
                signer = props.get(("header", "d")) or props.get(("header", "i"), "").rpartition("@")[2]
                if signer and aligned(signer, domain):
                    return True, f"{parsed.authserv_id}: {summary}"
        return False, f"{parsed.authserv_id}: {summary or 'không có kết quả'}"
    return False, f"không có Authentication-Results của {trusted_authserv_id}"
