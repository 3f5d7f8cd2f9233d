"""The segmentation web page (Flask, extra ``[web]``): ``python -m proxyseg.web --config tiny``."""
from .app import create_app

__all__ = ["create_app"]
