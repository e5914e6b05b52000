"""Answer matrix of the training-pipeline template: every cloud x every CI system, plus the
remaining values of the other choices spread over those cases."""

from template_harness.cases import Case

T = "training-pipeline"

CASES = [
    Case(T, "training-pipeline-aws-github", {"cloud": "aws", "ci": "github"}),
    Case(T, "training-pipeline-aws-gitlab", {"cloud": "aws", "ci": "gitlab", "data_classification": "pii"}),
    Case(T, "training-pipeline-gcp-github", {"cloud": "gcp", "ci": "github", "data_classification": "public"}),
    Case(T, "training-pipeline-gcp-gitlab", {"cloud": "gcp", "ci": "gitlab", "data_classification": "confidential"}),
]
