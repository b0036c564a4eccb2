"""Model registry and ONNX Runtime sessions. Task-specific pre/post-processing lives in the sub-packages."""

from scriba.models.registry import ModelSpec, get_model, list_models, register_model, unregister_model

__all__ = ["ModelSpec", "get_model", "list_models", "register_model", "unregister_model"]
