"""Setuptools shim: everything (name, version, dependencies, extras) lives in pyproject.toml.

Kept for tools and habits that call ``python setup.py --version`` or need a setup.py for
``pip install -e .`` with old pip versions."""
from setuptools import setup

setup()
