"""digits: a stateless FastAPI + onnxruntime service that reads handwritten digits."""
