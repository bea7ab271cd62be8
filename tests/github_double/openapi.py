"""Checks of the double's traffic against GitHub's OpenAPI description (openapi-core).

Each check returns the problems it found rather than raising: a mismatch is a finding the
fixture reports at the end of the test, not a crash inside a server thread.
"""

from __future__ import annotations

import functools
from typing import Any

from github_double.model import SPEC, Reply, payload

# GitHub sends these on every endpoint; the description leaves most of them out.
UNDOCUMENTED = (401, 403, 404, 422, 429, 500, 502, 503)


def check_request(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> list[str]:
    found = []
    if headers.get("x-github-api-version") != "2022-11-28":
        found.append(f"{method} {path}: no X-GitHub-Api-Version: 2022-11-28")
    try:
        _openapi().validate_request(_as_request(method, path, query, headers, body))
    except Exception as exc:  # every kind of mismatch is a finding, not a crash
        found.append(f"request {method} {path}: {_explain(exc)}")
    return found


def check_response(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes, reply: Reply
) -> list[str]:
    from openapi_core.templating.responses.exceptions import ResponseNotFound

    request = _as_request(method, path, query, headers, body)
    try:
        _openapi().validate_response(request, _as_response(reply))
    except ResponseNotFound:
        return _check_undocumented(method, path, reply)
    except Exception as exc:
        return [f"response {reply.status} to {method} {path}: {_explain(exc)}"]
    return []


def _check_undocumented(method: str, path: str, reply: Reply) -> list[str]:
    # Statuses the description omits still carry GitHub's basic-error body.
    from openapi_schema_validator import OAS30Validator

    schema = SPEC["components"]["schemas"]["basic-error"]
    found = []
    if reply.status not in UNDOCUMENTED:
        found.append(f"{method} {path}: {reply.status} is not a status GitHub sends")
    for issue in OAS30Validator(schema).iter_errors(reply.body):
        found.append(f"{method} {path}: {reply.status} body: {issue.message}")
    return found


@functools.cache
def _openapi() -> Any:
    # Built once per session: parsing the description costs far more than a test.
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(SPEC)


def _as_request(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Any:
    import requests
    from openapi_core.contrib.requests import RequestsOpenAPIRequest

    url = f"https://api.github.com{path}" + (f"?{query}" if query else "")
    wire = {k: v for k, v in headers.items() if k not in ("host", "content-length")}
    prepared = requests.Request(method, url, headers=wire, data=body or None).prepare()
    return RequestsOpenAPIRequest(prepared)


def _as_response(reply: Reply) -> Any:
    import requests
    from openapi_core.contrib.requests import RequestsOpenAPIResponse

    response = requests.Response()
    response.status_code = reply.status
    response._content = payload(reply)
    response.headers.update(reply.headers)
    if reply.body is not None:
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    return RequestsOpenAPIResponse(response)


def _explain(exc: Exception) -> str:
    """The schema errors with their paths, not the whole offending document."""
    found: list[str] = []
    inner: BaseException | None = exc
    while inner is not None:
        for issue in getattr(inner, "schema_errors", ()):
            found.append(f"{'/'.join(map(str, issue.absolute_path))}: {issue.message}")
        inner = inner.__cause__
    return f"{type(exc).__name__}: " + ("; ".join(found) or str(exc)[:300])
