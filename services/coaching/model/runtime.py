"""Load the lap model (ONNX) with onnxruntime, once per process, single-threaded.

The model's features, output and the score defined from it are documented in :mod:`.spec`;
``racing-coach train`` writes it (see :mod:`racecoach.services.coaching.training`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from racecoach.services.coaching.model import spec

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / spec.MODEL_FILE
RULES_REACH = spec.FEATURE_NAMES.index("rules_within_reach_s")


class ModelError(RuntimeError):
    """The model file is missing, unreadable or does not match :mod:`.spec`."""


@dataclass(frozen=True)
class ScoringModel:
    """A loaded lap model: ``predict`` maps feature rows to the time within reach (s), ``score`` to 0–100."""

    session: ort.InferenceSession
    version: str
    path: Path
    serves_model: bool = True  # False where the card found the rules' time within reach better on held-out tracks

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Time within reach (s, float32, shape ``[N]``, never negative) of ``features`` (``[N, F]`` or ``[F]``)."""
        rows = np.ascontiguousarray(np.atleast_2d(np.asarray(features, dtype=np.float32)))
        if rows.ndim != 2 or rows.shape[1] != len(spec.FEATURE_NAMES):
            raise ValueError(f"features must have shape [N, {len(spec.FEATURE_NAMES)}], got {list(rows.shape)}")
        (reach,) = self.session.run([spec.OUTPUT_NAME], {spec.INPUT_NAME: rows})
        return reach.reshape(-1)

    def within_reach_s(self, features: np.ndarray) -> float:
        """The time within reach (s) of one feature vector: the model's, or the rules' (the feature
        ``rules_within_reach_s``) where the model file says the model did not beat them."""
        if not self.serves_model:
            return max(float(np.asarray(features, dtype=np.float64).reshape(-1)[RULES_REACH]), 0.0)
        return float(self.predict(features)[0])

    def score(self, features: np.ndarray) -> float:
        """The score (0–100) of one feature vector: :func:`.spec.score_from_reach` of its time within reach."""
        return spec.score_from_reach(self.within_reach_s(features))


def session_options() -> ort.SessionOptions:
    """One intra-op and one inter-op thread: the model is tiny and services share the CPU."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return options


def open_session(*, path: Path, what: str, features: tuple[str, ...]) -> tuple[ort.InferenceSession, str, dict[str, str]]:
    """An onnxruntime session of the model file at ``path`` (``what``: "scoring", "cause", for the messages), its
    ``model_version`` and metadata; :class:`ModelError` unless it loads, declares a version and takes ``features``."""
    try:
        session = ort.InferenceSession(str(path), sess_options=session_options(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"cannot load the {what} model from {path}: {exc}") from exc
    props = dict(session.get_modelmeta().custom_metadata_map)
    version = props.get("model_version", "")
    if not version:
        raise ModelError(f"the {what} model at {path} does not declare a model_version")
    names = tuple(props.get("feature_names", "").split(","))
    if names != features:
        raise ModelError(f"the {what} model at {path} expects features {names}, this code computes {features}")
    return session, version, props


def open_model(*, path: Path = DEFAULT_MODEL_PATH) -> ScoringModel:
    """A new :class:`ScoringModel` from ``path`` (prefer :func:`load_model`, which caches)."""
    path = Path(path)
    session, version, props = open_session(path=path, what="scoring", features=spec.FEATURE_NAMES)
    served = props.get("within_reach_served", "model")
    if served not in ("model", "rules"):
        raise ModelError(f"the scoring model at {path} serves within_reach_served={served!r}; expected 'model' or 'rules'")
    return ScoringModel(session=session, version=version, path=path, serves_model=served == "model")


_lock = threading.Lock()
_loaded: dict[Path, ScoringModel] = {}


def load_model(*, path: Path = DEFAULT_MODEL_PATH) -> ScoringModel:
    """The process-wide :class:`ScoringModel` for ``path``, loaded on first use."""
    key = Path(path).resolve()
    with _lock:
        model = _loaded.get(key)
        if model is None:
            model = _loaded[key] = open_model(path=key)
        return model
