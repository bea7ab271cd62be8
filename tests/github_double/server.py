"""The two loopback HTTP servers of the double: the API host and the artifact storage host.

They only move bytes; what to answer is the backend's business (``GitHubDouble``), so this
module needs nothing of its state.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from github_double.model import Reply, error, payload


class Backend(Protocol):
    problems: list[str]

    def serve_api(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> Reply: ...

    def serve_storage(self, method: str, target: str, headers: dict[str, str]) -> Reply: ...


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self.rfile.read(int(headers.get("content-length", "0") or 0))
        self._send(self._reply(headers, body))

    def _reply(self, headers: dict[str, str], body: bytes) -> Reply:
        backend = self.server.backend
        try:
            if self.server.api:
                return backend.serve_api(self.command, self.path, headers, body)
            return backend.serve_storage(self.command, self.path, headers)
        except Exception as exc:  # a bug in the double: make it a finding, not a hang
            backend.problems.append(f"the double crashed on {self.command} {self.path}: {exc!r}")
            return error(500, "Server Error")

    def _send(self, reply: Reply) -> None:
        data = payload(reply)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test report shows ``seen`` and ``problems`` instead


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    backend: Backend
    api: bool


def serve(host: str, backend: Backend, *, api: bool) -> ThreadingHTTPServer:
    """A started server on a free port of ``host``; ``api`` picks which of the backend's
    two faces it shows."""
    server = _Server((host, 0), _Handler)
    server.backend, server.api = backend, api
    # A short poll keeps shutdown() (once per test) from costing half a second.
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return server


def second_host() -> str:
    """127.0.0.2 where the loopback answers it (Linux), so storage really is another host."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return "127.0.0.1"  # another port: requests and our client still count it another origin
