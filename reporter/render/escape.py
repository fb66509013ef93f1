"""Stored text made safe to show: labels, endpoint paths, error text and host facts come from
users, their apps and the servers perf attacked, and must reach a terminal or a PR comment as
the text they are, never as escape sequences or markup.

- `terminal_text` (perf/base/terminal.py, shared with the collector): control characters out (ESC
  sequences such as an OSC window-title change, BEL, CR, other C0/C1 controls, bidi
  overrides); line breaks and tabs become spaces.
- `markdown_text`: that, then every character GitHub markdown would read as markup or HTML
  escaped, so `<script>`, `<img onerror>`, pipes and backticks render as themselves; only the
  perf commands perf's own sentences quote (`perf collect --repeat 5`) stay code spans.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace

from perf.base.terminal import terminal_text

# Markdown: inline markup anywhere; an underscore only where it could start or end emphasis
# (inside a word, as in sync_threadpool, it cannot).
_MD_INLINE = re.compile(r"[\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# What opens a block at the start of a list item or heading: a heading, quote, list or rule.
_MD_BLOCK_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")


# A perf command quoted in perf's own words: shown as code. Nothing inside a code span is
# markup (so it needs no escape), and without a backtick or pipe it can neither close early
# nor split a table cell. A label that quotes a perf command renders as code too: harmless.
_PERF_COMMAND = re.compile(r"`(perf(?: [^`|]*)?)`")


def markdown_text(text: str, line_start: bool = False) -> str:
    """`line_start`: the text begins a list item or heading (where '# x' or '> x' is markup);
    table cells and text after other words need only the inline escapes."""
    text = terminal_text(text)
    parts = _PERF_COMMAND.split(text)  # odd parts are the commands
    return "".join(f"`{part}`" if i % 2 else _escaped(part, line_start and i == 0)
                   for i, part in enumerate(parts))


def _escaped(text: str, line_start: bool) -> str:
    # Only a '<' that could open a tag, comment or autolink, and an '&' that could start an
    # entity, mean anything to markdown: "< 99%" stays as it is.
    text = re.sub(r"&(?=[A-Za-z#])", "&amp;", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
    text = _MD_INLINE.sub(lambda m: "\\" + m.group(0), text)
    if line_start:
        text = _MD_BLOCK_START.sub(lambda m: m.group(0) + "\\" if m.group(0)[0].isdigit()
                                   else "\\" + m.group(0), text)
    return text


def code_fence(lines: list[str]) -> str:
    """A backtick fence longer than any run of backticks in `lines`, so none can close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def plain_report(report):
    """The report with control characters out of every stored string (terminal_text), done
    before any column is measured so tables still line up. Error kinds that differed only in
    control characters merge."""
    names: dict[type, tuple[str, ...]] = {}

    def clean(row):
        changed = {}
        if type(row) not in names:
            names[type(row)] = tuple(f.name for f in fields(row))
        for name in names[type(row)]:
            value = getattr(row, name)
            if isinstance(value, str) and (text := terminal_text(value)) != value:
                changed[name] = text
        return replace(row, **changed) if changed else row  # most rows need nothing

    errors = {}
    for attack_id, kinds in report.errors.items():
        merged: dict[str, int] = {}
        for kind, n in kinds.items():
            merged[terminal_text(kind)] = merged.get(terminal_text(kind), 0) + n
        errors[attack_id] = merged
    return replace(report, runs=[clean(r) for r in report.runs],
                   attacks=[clean(a) for a in report.attacks], errors=errors,
                   checks=[clean(c) for c in report.checks],
                   capacity=[clean(c) for c in report.capacity])
