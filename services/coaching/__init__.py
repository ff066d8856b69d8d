"""Coaching: an ONNX lap-score model plus explicit rules, and live cues timed by speed.

Modules: :mod:`.features` (lap → feature vector), :mod:`.model` (the ONNX model, its
builder and runtime), :mod:`.rules` (structured feedback), :mod:`.scoring` (the lap
report), :mod:`.live` (live cues), :mod:`.servicer` and :mod:`.server` (gRPC).
"""
