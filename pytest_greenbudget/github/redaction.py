"""What must never reach a message: the token, in any form, and URL query strings.

Signed artifact URLs carry their credential in the query string, and the HTTP library quotes
URLs and headers in its own error texts; every message the GitHub client raises goes through
``GitHubClient.redact``, which applies both rules here. Pure: no pytest, no requests.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus


def strip_query(url: str) -> str:
    # Signed download URLs carry credentials in their query string: never print those.
    return url.split("?", 1)[0]


# A query string anywhere in a text: "?" then name=value pairs, up to a blank or a quote.
_QUERY = re.compile(r"\?[^\s'\"<>?]*=[^\s'\"<>]*")


def strip_queries(text: str) -> str:
    """Every query string in ``text`` cut to ``?...``: the requests library's own errors quote
    the URL (``Max retries exceeded with url: /blob/9001?sig=...``)."""
    return _QUERY.sub("?...", text)


def check_token(token: str) -> str:
    """The token as sent: blanks around it stripped (a secret pasted with its newline);
    any control character left inside is refused, since the HTTP library would quote the
    header, token and all, in its error."""
    token = token.strip()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in token):
        raise ValueError("the GitHub token holds control characters; copy it again")
    return token


def token_forms(token: str) -> list[str]:
    if not token:
        return []
    forms = {token, repr(token)[1:-1], quote(token, safe=""), quote_plus(token)}
    return sorted(forms, key=len, reverse=True)  # longest first: no form leaves a part behind
