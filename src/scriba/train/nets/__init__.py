"""PyTorch networks: our own small recognizer and the PP-OCR architectures rebuilt from their ONNX graphs."""
