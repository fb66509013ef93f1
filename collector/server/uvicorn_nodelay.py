"""uvicorn with its workers answering on TCP_NODELAY sockets: `--server uvicorn-nodelay`.

    python collector/server/uvicorn_nodelay.py APP --host 127.0.0.1 --port P --workers N
        [--log-level info] [--no-access-log] [--factory] [--app-dir DIR]

perf runs it by path in the app's interpreter (--python), which needs uvicorn but not perf.

Why: `uvicorn --workers N` (N > 1) before uvicorn 0.55.0 binds the listening socket with
`socket.socket(family)`, whose `proto` is 0, and hands it to its multiprocess supervisor (0.55.0
binds it with IPPROTO_TCP, so this launcher is only needed with older uvicorn). Each worker's asyncio loop
only sets TCP_NODELAY on an accepted connection whose socket says IPPROTO_TCP
(asyncio.base_events._set_nodelay), so with proto 0 Nagle's algorithm stays on: on a kept-alive
connection every response after the first waits for the client's delayed ACK (~40 ms on Linux).
One worker is not affected (asyncio binds that socket itself, from getaddrinfo, proto 6).

The fix, as small as it can be: bind the listening socket here with IPPROTO_TCP and give it to
uvicorn's own supervisor (`uvicorn.supervisors.Multiprocess`), which is what `uvicorn --workers`
runs. The proto survives the trip to the workers: multiprocessing pickles a socket as
(fd, family, type, proto), and `socket.accept()` copies the listener's proto to each connection,
so asyncio turns TCP_NODELAY on. TCP_NODELAY is also set on the listener itself, which Linux
copies to accepted connections (what gunicorn does), so the fix does not rest on one mechanism.

Everything else is uvicorn's: the app is imported in each worker, SIGTERM/SIGINT to the
supervisor (or to the whole process group, as perf sends it) stop the workers gracefully, and a
dead worker is replaced. The command line is the subset of uvicorn's that perf passes.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(
        os.path.abspath(__file__)):
    # Run by path, Python put collector/ first on sys.path: its modules (server, payload, ...)
    # must not shadow the app's own.
    sys.path.pop(0)

import argparse  # noqa: E402
import inspect  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402

from uvicorn.config import STARTUP_FAILURE, Config  # noqa: E402
from uvicorn.server import Server  # noqa: E402
from uvicorn.supervisors import Multiprocess  # noqa: E402


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) that carries IPPROTO_TCP, as the workers need it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uvicorn_nodelay.py",
        description="uvicorn --workers N with TCP_NODELAY on every accepted connection.",
    )
    parser.add_argument("app", help="MODULE:ATTRIBUTE, e.g. target_app.main:app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--factory", action="store_true",
                        help="APP is a function that returns the app")
    parser.add_argument("--app-dir", default=".",
                        help="put this folder first on sys.path, as uvicorn does (default: .)")
    return parser


def _supervisor(config: Config, sock: socket.socket) -> Multiprocess:
    # uvicorn < 0.36 takes the worker's entry point as `target`; later versions build it.
    if "target" in inspect.signature(Multiprocess).parameters:
        return Multiprocess(config, target=Server(config).run, sockets=[sock])
    return Multiprocess(config, sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.workers < 1:
        sys.exit(f"--workers {args.workers}: must be at least 1")
    sys.path.insert(0, args.app_dir)  # as uvicorn.run does; workers inherit sys.path
    config = Config(args.app, host=args.host, port=args.port, workers=args.workers,
                    log_level=args.log_level, access_log=not args.no_access_log,
                    factory=args.factory)
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as exc:
        # The same words uvicorn logs ("[Errno 98] Address already in use"): perf retries
        # another port when a server's log says so.
        logging.getLogger("uvicorn.error").error(exc)
        sys.exit(STARTUP_FAILURE)
    if config.workers > 1:
        _supervisor(config, sock).run()
    else:
        server = Server(config)
        server.run(sockets=[sock])
        if not server.started:
            sys.exit(STARTUP_FAILURE)


if __name__ == "__main__":
    main()
