"""dlviz: see what a neural network does."""

__version__ = "0.1.0"
