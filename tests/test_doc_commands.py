"""Every ``mwent`` command shown in README.md and docs/*.md runs, so the pages cannot rot.

Conventions for the pages (also in docs/architecture.md, "Documentation"):

* A **command** is a line inside a fenced code block that starts with ``mwent `` or
  ``$ mwent `` (a ``$`` prompt marks a command whose output follows in the same block; the
  output lines are not checked, except through ``expect`` below).  A line ending in ``\\``
  continues on the next.  An unquoted ``#`` starts a comment; a trailing ``> FILE`` writes
  the command's standard output to FILE.  Blocks marked ``python``, ``toml`` or ``json`` are
  not searched.
* The commands of one block run in order, in-process (:func:`compare.cli.main`), in one fresh
  temporary directory, so a command may read what an earlier one in its block wrote.  Each
  must exit 0 unless the block's marker says otherwise.
* A **marker** is an HTML comment on the line just before a block's opening fence (invisible
  on the rendered page); it applies to every command of the block.  Directives are separated
  by ``;``:

  - ``skip REASON``: not run (a cluster address, ...); the reason is required;
  - ``exit N``: the exit code the page documents for these commands;
  - ``slow``: the block is marked ``@pytest.mark.slow`` (CI still runs it);
  - ``replace "OLD" "NEW"``: reduced size; OLD is replaced by NEW in every command that holds
    it (the page shows the full size, the test runs the small one);
  - ``add ARGS``: ARGS appended to every command (e.g. looser tolerances);
  - ``expect "TEXT"``: TEXT appears in the block's standard output (a number the page quotes);
  - ``file NAME`` (on a block of any kind, e.g. a model file shown as ``toml``): the block's
    text is written to NAME in the directory of every block of the same page, so the page's
    commands can use the file it shows.

  Example: ``<!-- test: slow; replace "--me-points 21" "--me-points 2"; add --max-dim 300 -->``.
* A command written inline in prose (`` `mwent ...` ``) is not run but must be accepted by the
  command line's parser (`` `mwent NAME` `` alone must name a subcommand), unless it holds a
  placeholder (``...``, ``{``, ``|`` or an
  upper-case word such as NAME, FILE, PATH, HOST) or asks for ``--help``.

* Every relative link (``[text](page.md#heading)``) must name a file and a heading that exist,
  and docs/cli.md must name every subcommand and option of the parser.

Reduced sizes keep this file to a few minutes on two cores; the full sizes are the pages'.
A master-equation example of the paper's model is usually reduced to a cold, weakly coupled
point, ``add --set T=0 --set G=1MHz --set g_1=1MHz --set g_2=1MHz --tol 1e-2 --tail-tol 1e-2``
(a few states, every line of evidence still computed).
"""
from __future__ import annotations

import contextlib
import pathlib
import re
import shlex

import pytest

from compare.cli import build_parser, main
from compare.cli.options import CliError

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))

_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*test:(.*?)-->\s*$")
_COMMAND = re.compile(r"^\s*(?:\$\s+)?(mwent\s.*)$")
_INLINE = re.compile(r"`(mwent [^`]+)`")
_PLACEHOLDER = re.compile(r"\.\.\.|[{|<]|\b[A-Z][A-Z0-9_]{2,}\b|--help")
_NOT_SEARCHED = {"python", "toml", "json"}


class Block:
    """The commands of one fenced block, with its marker's directives."""

    def __init__(self, page: str, line: int, commands: list, marker: str):
        self.page, self.line, self.commands = page, line, commands
        self.skip = self.slow = self.file = None
        self.exit = 0
        self.replace, self.add, self.expect = [], [], []
        self.files = {}          # the page's files (``file`` blocks), filled by _blocks
        for directive in filter(None, (d.strip() for d in marker.split(";"))):
            word, _, rest = directive.partition(" ")
            if word == "skip":
                assert rest.strip(), f"{self.id}: 'skip' needs a reason"
                self.skip = rest.strip()
            elif word == "slow":
                self.slow = True
            elif word == "exit":
                self.exit = int(rest)
            elif word == "replace":
                old, new = shlex.split(rest)
                self.replace.append((old, new))
            elif word == "add":
                self.add += shlex.split(rest)
            elif word == "expect":
                self.expect += shlex.split(rest)
            elif word == "file":
                self.file = rest.strip()
            else:
                raise AssertionError(f"{self.id}: unknown test directive {directive!r}")

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    def argvs(self):
        """``(shown command, argv, stdout file or None)`` for each command, reduced."""
        for shown in self.commands:
            text = shown
            for old, new in self.replace:
                text = text.replace(old, new)
            words = shlex.split(text, comments=True)
            assert words[0] == "mwent", shown
            stdout = None
            if ">" in words:
                i = words.index(">")
                assert i == len(words) - 2, f"{self.id}: '> FILE' must end the command"
                stdout, words = words[-1], words[:i]
            yield shown, words[1:] + self.add, stdout


def _blocks(path: pathlib.Path):
    """The page's blocks with commands, each knowing the page's ``file`` blocks."""
    lines = path.read_text().splitlines()
    page = path.relative_to(ROOT).as_posix()
    blocks, files = [], {}
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(2), m.group(3).lower(), i
        marker = _MARKER.match(lines[i - 1]) if i else None
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        commands = [] if lang in _NOT_SEARCHED else _commands(body)
        block = Block(page, start + 1, commands, marker.group(1) if marker else "")
        if block.file:
            files[block.file] = "\n".join(body) + "\n"
        if commands:
            blocks.append(block)
        elif marker and not block.file:
            raise AssertionError(f"{block.id}: a test marker on a block without mwent "
                                 f"commands")
    for b in blocks:
        b.files = files
    return blocks


def _commands(body):
    """The command lines of a block's body, continuation lines joined."""
    commands, pending = [], None
    for raw in body:
        if pending is not None:
            pending += " " + raw.strip()
        else:
            c = _COMMAND.match(raw)
            if not c:
                continue
            pending = c.group(1)
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        commands.append(pending)
        pending = None
    return commands


BLOCKS = [b for p in PAGES for b in _blocks(p)]


def _param(block):
    marks = [pytest.mark.slow] if block.slow else []
    if block.skip:
        marks.append(pytest.mark.skip(reason=block.skip))
    return pytest.param(block, id=block.id, marks=marks)


def test_pages_show_commands():
    """The harness finds the commands (a broken extraction must not pass silently)."""
    pages = {b.page for b in BLOCKS}
    assert "README.md" in pages and len(pages) >= 5
    assert sum(len(b.commands) for b in BLOCKS) >= 40


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS])
def test_doc_block_runs(block, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name, text in block.files.items():
        (tmp_path / name).write_text(text)
    shown_out = []
    for shown, argv, to_file in block.argvs():
        if to_file is None:
            code = main(argv)
        else:
            with open(to_file, "w") as f, contextlib.redirect_stdout(f):
                code = main(argv)
        out, err = capsys.readouterr()
        shown_out.append(out)
        assert code == block.exit, (f"{block.id}: `{shown}` (run as mwent {shlex.join(argv)}) "
                                    f"exited {code}, the page expects {block.exit}:\n{err}")
        assert "Traceback" not in err
    for text in block.expect:
        assert text in "".join(shown_out), f"{block.id}: {text!r} not in the output"


def _inline():
    seen = {}
    for path in PAGES:
        page = path.relative_to(ROOT).as_posix()
        in_fence = False
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if _FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            for cmd in _INLINE.findall(line):
                if not _PLACEHOLDER.search(cmd):
                    seen.setdefault(cmd, f"{page}:{n}")
    return [pytest.param(c, id=where) for c, where in seen.items()]


INLINE = _inline()


@pytest.fixture(scope="module")
def parser():
    return build_parser()


@pytest.mark.parametrize("command", INLINE)
def test_inline_command_parses(command, parser):
    argv = shlex.split(command, comments=True)[1:]
    if ">" in argv:                      # a redirection of the output
        argv = argv[:argv.index(">")]
    if len(argv) == 1:                   # `mwent NAME` names a subcommand
        assert argv[0] in _subcommands(parser), f"`{command}`: no such subcommand"
        return
    try:
        parser.parse_args(argv)
    except CliError as exc:
        pytest.fail(f"`{command}`: {exc}")


def _subcommands(parser) -> dict:
    """``{name: subparser}`` of the command line."""
    import argparse
    return next(a for a in parser._actions
                if isinstance(a, argparse._SubParsersAction)).choices


def test_cli_page_names_every_option(parser):
    """docs/cli.md is the reference of the command line: every subcommand and every option of
    it appears there (a new option without documentation fails here)."""
    page = (ROOT / "docs" / "cli.md").read_text()
    missing = []
    for name, p in _subcommands(parser).items():
        if f"## mwent {name}" not in page:
            missing.append(f"section '## mwent {name}'")
        for action in p._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help" and f"`{flag}" not in page:
                    missing.append(f"{name} {flag}")
    assert not missing, "docs/cli.md does not name: " + ", ".join(missing)


def _anchors(path: pathlib.Path) -> set:
    """GitHub's anchors of a page: its headings' slugs and explicit ``<a id=...>``."""
    text = path.read_text()
    out = set(re.findall(r'<a id="([^"]+)"', text))
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def test_links_resolve():
    """Every relative link of the pages names a file that exists, and a heading that exists."""
    broken = []
    for path in PAGES:
        text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue                         # http:, mailto: ...
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            if not dest.exists():
                broken.append(f"{path.name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{path.name}: {target} (no such heading)")
    assert not broken, "; ".join(broken)
