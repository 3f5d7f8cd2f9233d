"""Class names (with synonyms), prompt templates and the cached text classifier.

``TextClassifier`` and the templates import open_clip, so they load lazily: parsing class files
stays cheap (CLI usage errors answer at once).
"""
from .class_names import ClassNames, load_class_names, parse_class_names

__all__ = ["ClassNames", "load_class_names", "parse_class_names", "TextClassifier", "OPENAI_IMAGENET_TEMPLATES"]


def __getattr__(name):
    if name == "TextClassifier":
        from .classifier import TextClassifier

        return TextClassifier
    if name == "OPENAI_IMAGENET_TEMPLATES":
        from .templates import OPENAI_IMAGENET_TEMPLATES

        return OPENAI_IMAGENET_TEMPLATES
    raise AttributeError(name)
