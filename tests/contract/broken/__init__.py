"""A service that breaks its own contract, so that the contract runner is seen to catch it."""
