"""Headless Chromium for the browser tests and the README screenshot: Playwright for Python
driving the system's Chromium (`executable_path`; Playwright downloads no browser), with every
request, console message, uncaught error and dialog of the page recorded.

The browser's proxy is a trap that records any connection it gets, so "no network request" is
checked twice: by the page's own request events and by a socket nothing may connect to.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

# Without the browser's own background traffic (updates, time, sign-in, ...), so that any
# connection to the trap proxy is the page's doing.
QUIET_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
    "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
    "--disable-client-side-phishing-detection", "--disable-breakpad", "--no-pings",
    "--disable-dev-shm-usage", "--metrics-recording-only", "--password-store=basic",
    "--use-mock-keychain", "--disable-search-engine-choice-screen", "--force-color-profile=srgb",
    "--disable-features=Translate,OptimizationHints,MediaRouter,NetworkTimeServiceQuerying,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Chromium's own services reach out even on about:blank; nothing a report loads lives here.
BROWSER_SERVICE_HOSTS = {"update.googleapis.com", "accounts.google.com", "clients2.google.com",
                         "clientservices.googleapis.com", "content-autofill.googleapis.com",
                         "optimizationguide-pa.googleapis.com", "safebrowsing.googleapis.com",
                         "www.googleapis.com", "clients1.google.com", "redirector.gvt1.com",
                         "edgedl.me.gvt1.com", "dl.google.com"}


def find_chromium() -> str | None:
    """PERF_CHROMIUM, then the usual names on PATH."""
    explicit = os.environ.get("PERF_CHROMIUM")
    if explicit:
        return explicit
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def proxy_host(first_bytes: bytes) -> str:
    """The host of one proxied request: `CONNECT host:443` or `GET http://host/path`."""
    line = first_bytes.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    target = parts[1] if len(parts) > 1 else ""
    target = target.split("://", 1)[-1]
    return target.split("/", 1)[0].rsplit(":", 1)[0]


class TrapProxy:
    """A listening socket posing as the browser's HTTP proxy; records every connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(4096))
                except OSError:
                    self.connections.append(b"")

    def page_hosts(self) -> list[str]:
        """Hosts asked for, less the browser's own services: must stay empty for a report."""
        return [h for h in map(proxy_host, self.connections) if h not in BROWSER_SERVICE_HOSTS]

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@dataclass
class Recorded:
    """What one page did: requests it sent, console errors, uncaught errors, dialogs."""
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def watch(page) -> Recorded:
    seen = Recorded()
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("console", lambda m: seen.problems.append(f"console.{m.type}: {m.text}")
            if m.type in ("error", "assert") else None)
    page.on("pageerror", lambda e: seen.problems.append(f"exception: {e}"))

    def dialog(d):
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    return seen


@contextmanager
def chromium(binary: str, proxy: TrapProxy):
    """A headless Chromium (Playwright) whose every request goes to `proxy`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=binary, headless=True, args=QUIET_ARGS,
            proxy={"server": f"http://127.0.0.1:{proxy.port}", "bypass": "<-loopback>"},
        )
        try:
            yield browser
        finally:
            browser.close()


SETTLED = ("(() => { const s = document.getElementById('perf-status');"
           " return s && (s.dataset.state === 'ready' || s.dataset.state === 'error') && s.dataset.state; })()")


def open_report(browser, url: str, width: int = 1400, height: int = 900, before_load: str = "",
                proxy: TrapProxy | None = None):
    """A new page (in a context of its own, with its own trap `proxy` if given) at `width` x
    `height` CSS px showing `url`, once its charts settled.
    Returns (page, recorded, final state: 'ready' or 'error'); close with page.context.close()."""
    options = {"viewport": {"width": width, "height": height}}
    if proxy is not None:
        options["proxy"] = {"server": f"http://127.0.0.1:{proxy.port}", "bypass": "<-loopback>"}
    page = browser.new_context(**options).new_page()
    seen = watch(page)
    if before_load:
        page.add_init_script(before_load)
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=90_000)
    return page, seen, page.evaluate(SETTLED)


# What the browser tests evaluate in the page, and their skip rule.
CHROMIUM = find_chromium()

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="no Chromium (chromium, chromium-browser, google-chrome or PERF_CHROMIUM); "
           "`make chromium` installs Debian's",
)

# Per plot div: [id, traces in Plotly's own data, drawn trace groups, hidden, no-data note shown]
PLOTS = """[...document.querySelectorAll('.plot')].map((d) => [d.id, (d.data || []).length,
  d.querySelectorAll('.main-svg .trace, .main-svg .hm, .main-svg image').length, d.hidden,
  !d.nextElementSibling.hidden])"""

NO_ALERT = "window.__alerts = []; window.alert = (m) => window.__alerts.push(String(m));"

# What may not cover what in a drawn chart (plotly's mode bar shows on hover, but has its
# place all along), and titles that do not fit their card.
OVERLAPS = """(() => {
  const boxes = (root, sel) => [...root.querySelectorAll(sel)].map((e) => e.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0);
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const out = [];
  for (const div of document.querySelectorAll('.plot')) {
    if (div.hidden) continue;
    const title = div.previousElementSibling;
    const parts = {
      legend: boxes(div, '.legend > rect.bg'), modebar: boxes(div, '.modebar'),
      'axis title': boxes(div, '.infolayer [class^="g-x"], .infolayer [class^="g-y"]'),
      'panel label': boxes(div, '.annotation'), title: boxes(title.parentNode, '.chart-title'),
      'tick label': boxes(div, '.xtick text, .ytick text'),
    };
    for (const [a, b] of [['legend', 'axis title'], ['legend', 'tick label'], ['modebar', 'panel label'],
                          ['modebar', 'legend'], ['modebar', 'title'], ['panel label', 'title'],
                          ['legend', 'title'], ['modebar', 'axis title']])
      for (const x of parts[a]) for (const y of parts[b]) if (hit(x, y)) out.push(div.id + ': ' + a + ' over ' + b);
    if (title.scrollWidth > title.clientWidth + 1 || !title.textContent.trim()) out.push(div.id + ': title cut or missing');
  }
  return out;
})()"""
