"""unary ops."""

__all__ = []
