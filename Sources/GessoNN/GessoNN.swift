// Layers.
