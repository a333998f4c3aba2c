"""Command lines in the reader's language: ``--lang`` anywhere on the line, else the environment."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from i18n.languages import LANGUAGES, Language, from_environment, negotiate
from i18n.translate import N_, _, using

# argparse's own words (usage line, section titles, its errors), which it looks up through the
# module-level gettext function ``argparse._`` at the moment it shows them: pointing that at the
# current context's catalog gives `--help` and usage errors in the reader's language too.
ARGPARSE_TEXT = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("expected one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
)
setattr(argparse, "_", _)  # noqa: B010 - argparse reads the module attribute, not an import

LANG_HELP = N_("language of messages: en or zh-CN (default: $LC_ALL, $LC_MESSAGES, $LANG, else en)")


def cli_error(reason: object) -> str:
    """The one line a command prints on stderr when it cannot go on: "error: …" in the reader's
    language (the reason is already in it)."""
    return _("error: {reason}").format(reason=reason)


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    """List ``--lang`` in ``--help`` (``run_cli`` reads and removes it before parsing)."""
    parser.add_argument("--lang", metavar="LANG", help=_(LANG_HELP))


def take_cli_language(argv: list[str]) -> tuple[list[str], Language]:
    """Remove ``--lang X`` / ``--lang=X`` from a command line (it may stand anywhere in it)
    and return the rest with the language it asks for, else the environment's.

    An unsupported value raises ValueError naming the choices.
    """
    rest: list[str] = []
    asked: str | None = None
    words = iter(argv)
    for word in words:
        if word == "--lang":
            asked = next(words, "")
        elif word.startswith("--lang="):
            asked = word.removeprefix("--lang=")
        else:
            rest.append(word)
    if asked is not None and negotiate(asked) is None:
        raise ValueError(f"--lang {asked!r} is not supported; use one of: {', '.join(LANGUAGES)}")
    return rest, from_environment(asked)


def language_of(argv: Sequence[str] | None = None) -> Language:
    """The language a command line asks for (its ``--lang`` or the environment), for messages
    printed after ``run_cli`` has returned; an unsupported ``--lang`` reads the environment's."""
    try:
        return take_cli_language(list(sys.argv[1:] if argv is None else argv))[1]
    except ValueError:
        return from_environment()


def run_cli(run: Callable[[list[str]], int], argv: Sequence[str] | None = None) -> int:
    """Run a command line in the language of its ``--lang`` or of the environment; the
    language lasts for this call only. A bad ``--lang`` exits 2 with one line."""
    try:
        words, language = take_cli_language(list(sys.argv[1:] if argv is None else argv))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with using(language):
        return run(words)
