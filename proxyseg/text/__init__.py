"""Class names (with synonyms), prompt templates and the cached text classifier."""
from .class_names import ClassNames, load_class_names, parse_class_names
from .classifier import TextClassifier
from .templates import OPENAI_IMAGENET_TEMPLATES

__all__ = ["ClassNames", "load_class_names", "parse_class_names", "TextClassifier", "OPENAI_IMAGENET_TEMPLATES"]
