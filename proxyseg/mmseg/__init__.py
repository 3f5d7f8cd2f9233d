"""MMSegmentation adapter: importing this registers proxyseg's models, datasets, metrics and hooks."""
from . import datasets, hooks, metrics, pseudo_labels, segmentor, shared  # noqa: F401
from . import folder_dataset  # noqa: F401,E402  (FolderSegDataset, LoadFolderLabels)
