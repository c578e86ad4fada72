"""prepcli: a terminal study plan and spaced-repetition trainer for LLM-lab interviews."""

__version__ = "0.1.0"
