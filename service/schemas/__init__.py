"""Pydantic request/response models: v1 (predict), read (numbers), v2 (Open Inference Protocol)."""
