"""Comptoir: back-office automation for retail chains (domain core, Airflow-free)."""

__version__ = "0.1.0"
