# Plain dense CLIP: the ordinary last block, patch tokens.
_base_ = ['./proxyclip.py']
model = dict(method='clip', vfm=None)
