"""``racing-coach``: the command line of the collector and of the mesh."""

from __future__ import annotations

import argparse
import sys

from racecoach.client.commands import collect_cmd, eval_cmd, mesh_cmds, open_cmd, replay_cmd, simulate_cmd, token_cmds, upload_cmd


class CliError(Exception):
    """A problem the user can fix; printed as 'error: ...' with exit status ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="racing-coach", description="Sim-racing telemetry to coaching you can act on.")
    sub = parser.add_subparsers(dest="command", required=True)
    mesh_cmds.add_parsers(sub)
    replay_cmd.add_parser(sub)
    collect_cmd.add_parser(sub)
    upload_cmd.add_parser(sub)
    simulate_cmd.add_parser(sub)
    eval_cmd.add_parser(sub)
    token_cmds.add_parsers(sub)
    open_cmd.add_parser(sub)
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
