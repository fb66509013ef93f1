"""A server whose listener leaves TCP_NODELAY off, for the tests of perf's keep-alive self-check.

Put this folder on PYTHONPATH (tests/helpers.py NODELAY_OFF) and every uvicorn started from that
environment binds its `--workers N` listener as uvicorn before 0.55.0 did: a plain
`socket.socket(family)`, whose proto is 0. asyncio turns TCP_NODELAY on only for accepted
sockets whose proto says TCP, so every response after the first on a kept-alive connection waits
for the client's delayed ACK (~40 ms on Linux). One worker is not affected: asyncio binds that
listener itself. uvicorn 0.55.0 binds with IPPROTO_TCP, so without this the stall no longer
exists to be found; with it, the tests check perf's check and not uvicorn's version.

uvicorn.config is patched when something imports it (a finder on sys.meta_path), so processes
that never import uvicorn (perf itself, vegeta's wrappers) pay nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import socket
import sys


def _proto_zero(bind_socket):
    def bind(self):
        sock = bind_socket(self)
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return sock  # a unix socket or an inherited fd: never TCP_NODELAY anyway
        # The same bound listener, re-wrapped with proto 0 (an explicit proto overrides the one
        # Python would read from the fd).
        plain = socket.socket(sock.family, sock.type, 0, fileno=sock.detach())
        plain.set_inheritable(True)
        return plain
    return bind


class _PatchUvicornConfig(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "uvicorn.config":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        loader = spec.loader
        exec_module = loader.exec_module

        def patched(module):
            exec_module(module)
            module.Config.bind_socket = _proto_zero(module.Config.bind_socket)

        loader.exec_module = patched
        return spec


sys.meta_path.insert(0, _PatchUvicornConfig())
