"""``racing-coach``: the command line of the collector and of the mesh."""

from __future__ import annotations

import argparse
import sys

from racecoach.client.commands import collect_cmd, eval_cmd, mesh_cmds, open_cmd, replay_cmd, simulate_cmd, token_cmds, upload_cmd
from racecoach.client.commands import train_cmd


class CliError(Exception):
    """A problem the user can fix; printed as 'error: ...' with exit status ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse with its error on one line: ``racing-coach replay: error: argument --speed: ...`` (exit 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("racing-coach")
    except PackageNotFoundError:
        return "unknown"


def _add_version(parser: argparse.ArgumentParser, text: str) -> None:
    """``--version`` on ``parser`` and on every subcommand below it."""
    parser.add_argument("--version", action="version", version=text, help="print the version and exit")
    for action in parser._actions:  # noqa: SLF001 argparse has no public walk of its subparsers
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for child in dict.fromkeys(action.choices.values()):
                _add_version(child, text)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="racing-coach", description="Sim-racing telemetry to coaching you can act on.")
    sub = parser.add_subparsers(dest="command", required=True)
    mesh_cmds.add_parsers(sub)
    replay_cmd.add_parser(sub)
    collect_cmd.add_parser(sub)
    upload_cmd.add_parser(sub)
    simulate_cmd.add_parser(sub)
    eval_cmd.add_parser(sub)
    token_cmds.add_parsers(sub)
    open_cmd.add_parser(sub)
    train_cmd.add_parser(sub)
    _add_version(parser, f"racing-coach {version()}")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # run the imported module's main: under ``python -m`` this file is __main__, and the commands'
    # ``from racecoach.client.cli import CliError`` would otherwise raise a class main() does not catch
    from racecoach.client.cli import main as _main

    sys.exit(_main())
