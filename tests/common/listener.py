"""A recording HTTP listener on 127.0.0.1 for the outgoing-call tests.

Unlike :mod:`tests.common.receiver` it counts every TCP connection, so a test can assert
that the server under test did not contact it at all (not merely that it sent nothing
valid), and it answers with any status and headers (a redirect, a TSA reply).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Listener:
    port: int = 0
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    connections: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        return f"http://{host}:{self.port}{path}"


@contextmanager
def listener(status: int = 200, headers: dict[str, str] | None = None,
             body: bytes = b"", tls: ssl.SSLContext | None = None) -> Iterator[Listener]:
    state = Listener(status=status, headers=headers or {}, body=body)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "body": data})
            self.send_response(state.status)
            for k, v in state.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def get_request(self) -> tuple[socket.socket, Any]:
            conn = super().get_request()
            with lock:
                state.connections += 1
            return conn

    server = Server(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
