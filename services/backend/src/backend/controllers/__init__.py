"""Hand-written controllers: one per domain spec, implementing its generated Protocol."""
