"""The action-prediction transformer, its data pipeline, training and checkpoints (JAX/Flax)."""
