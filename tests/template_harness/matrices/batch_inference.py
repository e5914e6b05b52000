"""Answer matrix of the batch-inference template: every cloud x every CI system, plus the
remaining values of the other choices spread over those cases."""

from template_harness.cases import Case

T = "batch-inference"

CASES = [
    Case(T, "batch-inference-aws-github", {"cloud": "aws", "ci": "github"}),
    Case(T, "batch-inference-aws-gitlab", {"cloud": "aws", "ci": "gitlab", "data_classification": "pii"}),
    Case(T, "batch-inference-gcp-github", {"cloud": "gcp", "ci": "github", "data_classification": "public"}),
    Case(T, "batch-inference-gcp-gitlab", {"cloud": "gcp", "ci": "gitlab", "data_classification": "confidential"}),
]
