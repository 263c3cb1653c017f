"""Stadsvraag: the intake assistant of a city's knowledge programme (Leren met de Stad in Leiden by default)."""

__version__ = "0.1.0"
