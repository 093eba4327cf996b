"""`warrant serve`: the workbench on a local port, served by uvicorn."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Callable, Iterator

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


def _server(path: str, host: str):
    import uvicorn

    from .app import LOCAL_HOSTS, create_app

    app = create_app(path, hosts=sorted({*LOCAL_HOSTS, host}) if host not in LOOPBACK else None)
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))


@contextlib.contextmanager
def running(path: str, host: str = "127.0.0.1") -> Iterator[str]:
    """The workbench served from a background thread on a free port (for tests and the screenshot script):
    yields its URL, and stops it on leaving."""
    server, sock = _server(path, host), bind(host, 0)
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


def serve(path: str, host: str = "127.0.0.1", port: int = 8765, say: Callable[[str], None] = print) -> None:
    """Serve the workbench over the case file at `path` (opened read-only) until interrupted; `say` is told
    the URL, and a warning when `host` is reachable from other machines."""
    server, sock = _server(path, host), bind(host, port)
    if host not in LOOPBACK:
        say(f"warning: serving on {host}: anyone who can reach this address can read the case file")
    say(f"Warrant workbench for {path} (read-only): {url_of(sock, host)}")
    server.run(sockets=[sock])
