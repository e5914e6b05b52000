"""Services: one verb each (generate, update, check, list templates, release).

They take typed inputs, return result objects and never print or exit; a failure that
concerns one repository is reported in its result so callers can walk many repositories.
"""
