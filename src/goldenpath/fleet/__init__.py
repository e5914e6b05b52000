"""The fleet: every repository of an organisation, the catalog versions they are on, their
readiness, and bulk updates as reviewable branches.

Same direction as the rest of goldenpath: the fleet services map the per-repository
services (``services.check``, ``services.update``, ``readiness.service``) over an
inventory; forges and git are reached only through adapters.
"""
