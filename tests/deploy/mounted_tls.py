"""The mesh's TLS files as a pod sees them: the paths RACING_COACH_TLS_* name must lie in the volume mounted from
the racing-coach-mesh-tls Secret, under keys that Secret holds. Settings read those files when they are built, so
the tests point the variables at stand-in PEM files with the same names."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

TLS_VARIABLES = ("RACING_COACH_TLS_CA", "RACING_COACH_TLS_CERT", "RACING_COACH_TLS_KEY")
SECRET = "racing-coach-mesh-tls"
_STAND_INS = Path(tempfile.mkdtemp(prefix="racing-coach-tls-"))


def mounted_tls(env: dict[str, str], *, pod_spec: dict, container: dict, secrets: dict[str, dict]) -> dict[str, str]:
    """``env`` with each TLS path checked against the pod's mount of the Secret and replaced by a stand-in file."""
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container.get("volumeMounts", [])}
    out = dict(env)
    for name in TLS_VARIABLES:
        if name not in env:
            continue
        path = PurePosixPath(env[name])
        volume = mounts.get(str(path.parent))
        assert volume is not None and volume.get("secret", {}).get("secretName") == SECRET, f"{name}: {path} is not in the mounted {SECRET}"
        assert path.name in secrets[SECRET]["stringData"], f"{name}: {SECRET} holds no key {path.name}"
        stand_in = _STAND_INS / path.name
        stand_in.write_text(f"-----BEGIN STAND-IN-----\n{path.name}\n-----END STAND-IN-----\n")
        out[name] = str(stand_in)
    return out


def compose_tls(env: dict[str, str], *, service: dict, files: tuple[str, ...]) -> dict[str, str]:
    """``env`` of a compose service with each TLS path checked against its mount of the ``mesh-tls`` volume (one of
    the ``files`` `racing-coach certs` writes there) and replaced by a stand-in file."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_ = str(volume).split(":")
        mounts[target] = source
    out = dict(env)
    for name in TLS_VARIABLES:
        if name not in env:
            continue
        path = PurePosixPath(env[name])
        assert mounts.get(str(path.parent)) == "mesh-tls", f"{name}: {path} is not in the mounted mesh-tls volume"
        assert path.name in files, f"{name}: racing-coach certs writes no {path.name}"
        stand_in = _STAND_INS / path.name
        stand_in.write_text(f"-----BEGIN STAND-IN-----\n{path.name}\n-----END STAND-IN-----\n")
        out[name] = str(stand_in)
    return out
