"""Answer matrix of the realtime-inference template: every cloud x every CI system, plus the
remaining values of the other choices spread over those cases."""

from template_harness.cases import Case

T = "realtime-inference"

CASES = [
    Case(T, "realtime-inference-aws-github", {"cloud": "aws", "ci": "github"}),
    Case(T, "realtime-inference-aws-gitlab", {"cloud": "aws", "ci": "gitlab", "data_classification": "pii"}),
    Case(T, "realtime-inference-gcp-github", {"cloud": "gcp", "ci": "github", "data_classification": "public"}),
    Case(T, "realtime-inference-gcp-gitlab", {"cloud": "gcp", "ci": "gitlab", "data_classification": "confidential"}),
]
