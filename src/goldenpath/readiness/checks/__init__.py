"""The builtin ML readiness pack: one module per section."""
