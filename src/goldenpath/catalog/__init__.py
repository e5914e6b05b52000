"""Catalog authoring: template manifests, generated copier files, migrations and upgrade tests."""
