"""``racing-coach certs DIR``: a CA of the mesh's own and one certificate it signed, for the mesh's TLS.

Writes ``ca.crt`` and ``ca.key`` (the CA: keep ``ca.key`` apart, it signs), and ``tls.crt`` and ``tls.key``, a
certificate for the names given (by default the compose service names, the Kubernetes services of the
``racing-coach`` namespace, localhost and 127.0.0.1) usable as server and as client, which every service shows.
Point ``RACING_COACH_TLS_CA``, ``RACING_COACH_TLS_CERT`` and ``RACING_COACH_TLS_KEY`` at them (compose mounts the
folder; Kubernetes takes them as the racing-coach-mesh-tls Secret). Collectors need ``ca.crt`` alone. The
``openssl`` program makes them.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import subprocess
from pathlib import Path

DEFAULT_NAMES = ("localhost", "127.0.0.1", "storage", "analysis", "coaching", "ingest", "gateway",
                 "*.racing-coach.svc.cluster.local", "*.racing-coach.svc")
FILES = ("ca.crt", "ca.key", "tls.crt", "tls.key")


def _alt_names(names: list[str]) -> str:
    def one(name: str) -> str:
        try:
            ipaddress.ip_address(name)
            return f"IP:{name}"
        except ValueError:
            return f"DNS:{name}"

    return ",".join(one(name) for name in names)


def make_certificates(*, folder: Path, names: list[str], days: int) -> None:
    """The four files in ``folder`` (made if missing); the keys readable by their owner alone."""
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        done = subprocess.run(["openssl", *args], cwd=folder, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")

    openssl("req", "-x509", "-newkey", "rsa:3072", "-nodes", "-days", str(days), "-subj", "/CN=Racing Coach mesh CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", "ca.key", "-out", "ca.crt")
    (folder / "tls.ext").write_text(f"subjectAltName={_alt_names(names)}\nextendedKeyUsage=serverAuth,clientAuth\n"
                                    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
    openssl("req", "-newkey", "rsa:3072", "-nodes", "-subj", "/CN=racing-coach", "-keyout", "tls.key", "-out", "tls.csr")
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", str(days),
            "-extfile", "tls.ext", "-out", "tls.crt")
    for scratch in ("tls.csr", "tls.ext", "ca.srl"):
        (folder / scratch).unlink(missing_ok=True)
    for key in ("ca.key", "tls.key"):
        os.chmod(folder / key, 0o600)


def run(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError

    folder = Path(args.folder)
    present = [name for name in FILES if (folder / name).exists()]
    if present and args.if_missing and len(present) == len(FILES):
        print(f"{folder}: the mesh's certificates are there already")
        return 0
    if present:
        raise CliError(f"{folder} already holds {', '.join(present)}: choose another folder or remove them")
    if shutil.which("openssl") is None:
        raise CliError("the openssl program makes the certificates: install it (e.g. apt install openssl)")
    names = [n.strip() for n in args.names.split(",") if n.strip()] if args.names else list(DEFAULT_NAMES)
    try:
        make_certificates(folder=folder, names=names, days=args.days)
    except (RuntimeError, OSError) as exc:
        raise CliError(str(exc)) from exc
    print(f"wrote {', '.join(FILES)} to {folder} for {', '.join(names)}; keep ca.key apart, it signs")
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("certs", help="make a CA and a certificate for the mesh's TLS",
                            description=__doc__.split("\n\n")[1].replace("\n", " "))
    parser.add_argument("folder", metavar="DIR", help="where to write ca.crt, ca.key, tls.crt and tls.key")
    parser.add_argument("--names", help="comma-separated host names and IP addresses the certificate is for "
                                        f"(default: {','.join(DEFAULT_NAMES)})")
    parser.add_argument("--days", type=int, default=825, help="how long the certificates hold (default 825)")
    parser.add_argument("--if-missing", action="store_true", help="do nothing when DIR already holds all four files")
    parser.set_defaults(run=run)
