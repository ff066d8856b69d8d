"""Training the coaching model on the project's simulator (needs the ``train`` extra: scikit-learn, skl2onnx)."""
