"""Adapters: the only modules that import copier, git (GitPython) and questionary.

Each turns its library's exceptions into goldenpath errors, so services stay free of
third-party details and can be tested with small fakes.
"""
