"""Stadsvraag: the intake assistant of Leren met de Stad (Leiden)."""

__version__ = "0.1.0"
