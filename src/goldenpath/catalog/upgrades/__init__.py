"""``goldenpath catalog test-upgrades``: prove that users can update to the catalog in the
working tree, from the releases they have, without losing their own edits.

``repository`` builds the private catalog (released history + the working tree as one
more release), ``edits`` plays the user (fixtures applied to a rendered project),
``checks`` judges the updated project, and ``service`` runs one cell per (from version,
template, preset) and returns the result.
"""
