"""The shipped ONNX models and their cards, installed as package data (`digits_models`)."""
