"""`warrant serve`: the workbench on a local port, served by uvicorn."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Callable, Iterator

from ..store.backend import is_postgres_url, shown_url

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), so the URL printed is the one served."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _server(path: str, host: str, as_principal: str | None = None, say: Callable[[str], None] | None = None):
    import uvicorn

    from .app import LOCAL_HOSTS, create_app

    app = create_app(path, hosts=sorted({*LOCAL_HOSTS, host}) if host not in LOOPBACK else None,
                     as_principal=as_principal, say=say)
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))


@contextlib.contextmanager
def running(path: str, host: str = "127.0.0.1", as_principal: str | None = None) -> Iterator[str]:
    """The workbench served from a background thread on a free port (for tests and the screenshot script),
    reading as `as_principal`: yields its URL, and stops it on leaving."""
    server, sock = _server(path, host, as_principal), bind(host, 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield url_of(sock, host)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def serve(path: str, host: str = "127.0.0.1", port: int = 8765, say: Callable[[str], None] = print,
          as_principal: str | None = None) -> None:
    """Serve the workbench over the case file at `path` (opened read-only) as `as_principal` (default: the
    owner) until interrupted; `say` is told the URL, and a warning when `host` is reachable from other
    machines or page views cannot be recorded in the audit log."""
    server, sock = _server(path, host, as_principal, say), bind(host, port)
    if host not in LOOPBACK:
        say(f"warning: serving on {host}: anyone who can reach this address can read the case file "
            f"as {as_principal or 'its owner'}")
    say(f"Warrant workbench for {shown_url(path) if is_postgres_url(path) else path} (read-only, reading as {as_principal or 'owner'}): {url_of(sock, host)}")
    server.run(sockets=[sock])
