"""Training in PyTorch (the `train` extra): architectures matching the shipped PP-OCR ONNX graphs, weight import
with parity checks, synthetic data, training loops and ONNX export.

Nothing outside `scriba.train` imports torch; inference everywhere else runs on ONNX Runtime.
"""
