"""The science of dlviz: numpy, torch, PIL and scikit-learn only, never Qt or pyqtgraph."""
