"""The one step engine: a run of a scheme's procedure, its step records, and the outputs
each domain app declares (see docs/architecture-procedure.md)."""
