"""Load the cause model (ONNX) with onnxruntime, once per process, single-threaded.

Its features, output and how the service uses it are documented in :mod:`.cause_spec`;
``racing-coach train`` writes it beside the lap model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from racecoach.services.coaching.model import cause_spec
from racecoach.services.coaching.model.runtime import ModelError, open_session

DEFAULT_CAUSE_MODEL_PATH = Path(__file__).resolve().parent / cause_spec.MODEL_FILE


@dataclass(frozen=True)
class CauseModel:
    """A loaded cause model: ``probabilities`` maps corner rows to one probability per cause in ``causes``;
    ``served`` are the causes whose remarks the service lets it confirm or drop."""

    session: ort.InferenceSession
    version: str
    causes: tuple[str, ...]
    served: frozenset[str]
    path: Path

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """``[N, len(causes)]`` float32 probabilities of corner feature rows ``[N, F]`` (or one row ``[F]``)."""
        x = np.ascontiguousarray(np.atleast_2d(np.asarray(rows, dtype=np.float32)))
        if x.ndim != 2 or x.shape[1] != len(cause_spec.FEATURE_NAMES):
            raise ValueError(f"corner features must have shape [N, {len(cause_spec.FEATURE_NAMES)}], got {list(x.shape)}")
        (out,) = self.session.run([cause_spec.OUTPUT_NAME], {cause_spec.INPUT_NAME: x})
        return out

    def probability(self, row: np.ndarray, *, cause: str) -> float:
        """The probability of ``cause`` at the corner of one feature row."""
        return float(self.probabilities(row)[0, self.causes.index(cause)])


def open_cause_model(*, path: Path = DEFAULT_CAUSE_MODEL_PATH) -> CauseModel:
    """A new :class:`CauseModel` from ``path`` (prefer :func:`load_cause_model`, which caches)."""
    path = Path(path)
    session, version, props = open_session(path=path, what="cause", features=cause_spec.FEATURE_NAMES)
    causes = tuple(c for c in props.get(cause_spec.CAUSES_KEY, "").split(",") if c)
    served = frozenset(c for c in props.get(cause_spec.SERVED_KEY, "").split(",") if c)
    if not causes or not served <= set(causes):
        raise ModelError(f"the cause model at {path} names causes {causes} and serves {sorted(served)}: "
                         "every served cause must be one of its outputs")
    model = CauseModel(session=session, version=version, causes=causes, served=served, path=path)
    try:  # one row of zeros: the graph takes the features and gives a probability per named cause
        probe = model.probabilities(np.zeros(len(cause_spec.FEATURE_NAMES), dtype=np.float32))
    except Exception as exc:
        raise ModelError(f"the cause model at {path} does not run on {len(cause_spec.FEATURE_NAMES)} corner features: "
                         f"{exc}") from exc
    if probe.shape != (1, len(causes)):
        raise ModelError(f"the cause model at {path} gives {list(probe.shape)[1:]} columns for the {len(causes)} causes "
                         "it names")
    return model


_lock = threading.Lock()
_loaded: dict[Path, CauseModel] = {}


def load_cause_model(*, path: Path = DEFAULT_CAUSE_MODEL_PATH) -> CauseModel:
    """The process-wide :class:`CauseModel` for ``path``, loaded on first use."""
    key = Path(path).resolve()
    with _lock:
        model = _loaded.get(key)
        if model is None:
            model = _loaded[key] = open_cause_model(path=key)
        return model
