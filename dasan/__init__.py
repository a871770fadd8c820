"""Composition of Dasan: settings, logging, the FastAPI app that mounts each domain's router, the CLI, web pages."""

__version__ = "0.1.0"
