"""Production readiness as code: checks that read evidence from a repository's files.

Inside the package the direction is the same as in goldenpath: ``service`` (what the CLI
and the fleet call) -> ``registry``/``settings``/``checks`` -> ``facts`` (file access) ->
``model`` (the vocabulary every layer shares).
"""
