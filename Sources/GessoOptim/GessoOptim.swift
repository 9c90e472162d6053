// Optimizers.
