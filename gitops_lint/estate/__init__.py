"""The estate model: what the repo deploys (model.py), computed once after loading (build.py)."""
