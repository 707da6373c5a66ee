"""The auto-graded questions of each reading: one module per reading, each calling ``register``."""
