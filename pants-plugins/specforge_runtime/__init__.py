"""What specforge's generated code imports at run time.

- `specforge_runtime.events`: `EventInfo`, the id and origin every event carries.
- `specforge_runtime.outbox`: the transactional outbox of `publish_on_success` operations.
- `specforge_runtime.streams`: dead letters and retention of Redis Streams.
- `python -m specforge_runtime`: the command line for both.
"""
