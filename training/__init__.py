"""Offline half of digits: MNIST loading, Keras models, training, ONNX export, the model study."""

import os

# TensorFlow's C++ start-up chatter (CPU features, missing CUDA) would drown the CLI output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
