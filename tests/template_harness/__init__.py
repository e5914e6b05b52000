"""Shared harness that renders every catalog template over its answer matrix and checks
each render with the real tools its users run (see tests/templates/)."""
