"""The placeholder vocabulary: the default render's samples are caught, real names that
merely contain the same letters are not."""

from __future__ import annotations

import pytest

from goldenpath.readiness.placeholders import boilerplate_in, placeholder_in


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("@acme/ml-platform", "acme"),
        ("acme-ml", "acme"),
        ("Acme Corp", "Acme"),
        ("acme_inc", "acme"),
        ("ml-platform-oncall@example.com", "example.com"),
        ("pager@mail.example.org", "example.org"),
        ("ops@my-example.com", "example.com"),  # "-" separates words, as in "acme-ml"
        ("oncall@example.net", "example.net"),
        ("team@corp.test", "corp.test"),
        ("ops@service.invalid", "service.invalid"),
        ("@example/ml", "example"),
        ("your-team", "your-team"),
        ("@your_org/ml", "your_org"),
        ("<team>", "<team>"),
        ("<your email>", "<your email>"),
        ("{{ oncall_contact }}", "{{ oncall_contact }}"),
        ("[[ owner ]]", "[[ owner ]]"),
        ("TODO", "TODO"),
        ("tbd", "tbd"),
        ("changeme@northwind.io", "changeme"),
        ("n/a", "n/a"),
        ("none", "none"),
    ],
)
def test_placeholders_are_caught(value: str, found: str) -> None:
    assert placeholder_in(value) == found


@pytest.mark.parametrize(
    "value",
    [
        "fraud-ml-oncall@northwind.io",
        "@northwind/fraud-ml",
        "group:fraud-ml",
        "acmeworks",
        "@acmeworks/fraud",
        "acme2",
        "pacme-team",
        "myexample.com",
        "#ml-examples",
        "todoist-oncall@northwind.io",
        "https://northwind.pagerduty.com/service-directory/PX1234",
        "<fraud-lead@northwind.io>",
        "corp.test.io",
    ],
)
def test_real_names_are_not_placeholders(value: str) -> None:
    assert placeholder_in(value) is None


def test_the_first_placeholder_in_a_value_is_reported() -> None:
    assert placeholder_in("TODO: acme") == "TODO"
    assert placeholder_in("@acme/team TODO") == "acme"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("## Intended use\nTODO", "TODO"),
        ("Training data: TBD.", "TBD"),
        ("FIXME describe the metrics", "FIXME"),
        ("Lorem ipsum dolor sit amet", "Lorem ipsum"),
        ("Fill in: the intended use", "Fill in"),
        ("(fill in)", "fill in"),
        ("fill me in", "fill me in"),
        ("Limitations: to be completed", "to be completed"),
        ("Insert your evaluation here", "Insert your evaluation here"),
    ],
)
def test_boilerplate_is_caught(text: str, found: str) -> None:
    assert boilerplate_in(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "We fill in missing values with the median of the training data.",
        "Contact the team, e.g. user@example.com, before changing the schema.",
        "Replace the demo model before scoring real data.",
        "Owned by @acme/ml-platform.",
        "A todolist of features is in the ADR.",
    ],
)
def test_real_sentences_are_not_boilerplate(text: str) -> None:
    assert boilerplate_in(text) is None
