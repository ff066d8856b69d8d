"""Build the lap-score ONNX model from :mod:`.spec` (development only: needs ``onnx``).

Run ``python -m racecoach.services.coaching.model.build_model`` to rewrite the committed
``lap_score_v2.onnx`` next to this file. The output is byte-for-byte deterministic: fixed
producer, IR and opset versions, no timestamps, deterministic protobuf serialisation.

Graph (N laps at once)::

    features float32[N, 7] ─MatMul(W float32[7, 1])─Add(b float32[1])─Sigmoid─Mul(100)─► score float32[N, 1]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from racecoach.services.coaching.model import spec

IR_VERSION = 8
OPSET = 17
HERE = Path(__file__).resolve().parent
DEFAULT_PATH = HERE / spec.MODEL_FILE


def build_model() -> onnx.ModelProto:
    """The model as an ONNX ``ModelProto``, checked by ``onnx.checker``."""
    n_features = len(spec.FEATURE_NAMES)
    weights = numpy_helper.from_array(np.asarray(spec.WEIGHTS, dtype=np.float32).reshape(n_features, 1), "weights")
    bias = numpy_helper.from_array(np.asarray([spec.BIAS], dtype=np.float32), "bias")
    scale = numpy_helper.from_array(np.asarray([spec.SCALE], dtype=np.float32), "scale")
    nodes = [
        helper.make_node("MatMul", [spec.INPUT_NAME, "weights"], ["weighted"], name="weighted_sum"),
        helper.make_node("Add", ["weighted", "bias"], ["logit"], name="add_bias"),
        helper.make_node("Sigmoid", ["logit"], ["probability"], name="sigmoid"),
        helper.make_node("Mul", ["probability", "scale"], [spec.OUTPUT_NAME], name="to_percent"),
    ]
    graph = helper.make_graph(
        nodes,
        spec.MODEL_NAME,
        inputs=[helper.make_tensor_value_info(spec.INPUT_NAME, TensorProto.FLOAT, ["laps", n_features])],
        outputs=[helper.make_tensor_value_info(spec.OUTPUT_NAME, TensorProto.FLOAT, ["laps", 1])],
        initializer=[weights, bias, scale],
        doc_string="Lap score 0-100 = 100 * sigmoid(bias + features . weights); features: "
        + ", ".join(spec.FEATURE_NAMES),
    )
    model = helper.make_model(
        graph,
        producer_name="racecoach.services.coaching.model.build_model",
        producer_version=spec.MODEL_VERSION,
        ir_version=IR_VERSION,
        opset_imports=[helper.make_opsetid("", OPSET)],
        doc_string="Racing Coach lap-score model; see racecoach.services.coaching.model.spec.",
    )
    model.model_version = 1
    helper.set_model_props(model, {"model_version": spec.MODEL_VERSION, "feature_names": ",".join(spec.FEATURE_NAMES)})
    onnx.checker.check_model(model, full_check=True)
    return model


def model_bytes() -> bytes:
    """The serialised model, deterministic across runs."""
    return build_model().SerializeToString(deterministic=True)


def write_model(*, path: Path = DEFAULT_PATH) -> Path:
    """Write the model to ``path`` and return it."""
    path = Path(path)
    path.write_bytes(model_bytes())
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH, help="where to write the .onnx file")
    args = parser.parse_args(argv)
    print(write_model(path=args.output))


if __name__ == "__main__":
    main()
