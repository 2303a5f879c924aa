"""compare ops."""

__all__ = []
