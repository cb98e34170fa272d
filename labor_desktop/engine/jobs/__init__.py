"""The torch work of Algorithm 1: training, adaptation, the pixel selector, proposals, the simulated annotator, predictions, and the runtime they share (imports only the engine's base)."""
