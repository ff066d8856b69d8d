"""``racing-coach``: the command line of the collector and of the mesh.

The collector's commands (collect, upload, replay, simulate, open) are imported here and
import no server package. The mesh's commands (up, serve, token, eval, train, reanalyze, certs) are listed in
``MESH_COMMANDS`` and their modules imported only when one of them is the command given, so
``pip install racing-coach`` (the collector alone) runs every collector command; a mesh
command there says to install ``racing-coach[server]``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from racecoach.client.commands import collect_cmd, open_cmd, replay_cmd, simulate_cmd, upload_cmd

# command → (module that registers it, its function that adds the parser(s), help for the command list)
MESH_COMMANDS: dict[str, tuple[str, str, str]] = {
    "up": ("racecoach.client.commands.mesh_cmds", "add_parsers", "start the whole mesh on this machine (Ctrl-C stops it)"),
    "serve": ("racecoach.client.commands.mesh_cmds", "add_parsers", "run one service in the foreground"),
    "token": ("racecoach.client.commands.token_cmds", "add_parsers", "create or revoke API tokens"),
    "eval": ("racecoach.client.commands.eval_cmd", "add_parser",
             "judge the coaching: simulated mistakes replayed through the mesh, scored against the truth"),
    "train": ("racecoach.client.commands.train_cmd", "add_parser",
              "train the coaching model on simulated laps and write it with its card"),
    "reanalyze": ("racecoach.client.commands.reanalyze_cmd", "add_parser",
                  "analyse and score the stored laps a crash left without analysis or report"),
    "certs": ("racecoach.client.commands.certs_cmd", "add_parser", "make a CA and a certificate for the mesh's TLS"),
}
SERVER_EXTRA_HINT = "install the mesh with: pip install 'racing-coach[server]'"


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


def _chosen(argv: list[str]) -> str | None:
    """The command named in ``argv`` (its first word that is not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _add_mesh_command(sub, name: str) -> None:
    """The real parser of mesh command ``name`` (its module imported now), or an error naming the extra."""
    from racecoach.client.commands.common import ServerExtraMissing

    module_name, adder, _ = MESH_COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ServerExtraMissing(f"racing-coach {name} needs the mesh's packages ({exc}); {SERVER_EXTRA_HINT}") from None
    getattr(module, adder)(sub)  # may register more than ``name`` (mesh_cmds: up and serve)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; a mesh command's real parser only when ``argv`` names it (else a one-line entry in the list)."""
    chosen = _chosen(sys.argv[1:] if argv is None else argv)
    parser = Parser(prog="racing-coach", description="Sim-racing telemetry to coaching you can act on.")
    sub = parser.add_subparsers(dest="command", required=True)
    replay_cmd.add_parser(sub)
    collect_cmd.add_parser(sub)
    upload_cmd.add_parser(sub)
    simulate_cmd.add_parser(sub)
    open_cmd.add_parser(sub)
    if chosen in MESH_COMMANDS:
        _add_mesh_command(sub, chosen)
    for name, (_, _, help_text) in MESH_COMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, help=help_text, add_help=False)
    _add_version(parser, f"racing-coach {version()}")
    return parser


def tolerant_output() -> None:
    """Characters stdout or stderr cannot encode come out as "?" instead of stopping the command: on Windows a
    redirected stdout (``collect --plain > collect.log``) has the ANSI code page, which lacks "▶" and the like."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "strict") == "strict":
            reconfigure(errors="replace")


def main(argv: list[str] | None = None) -> int:
    from racecoach.client.commands.common import ServerExtraMissing

    tolerant_output()
    try:
        parser = build_parser(argv)
    except ServerExtraMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
