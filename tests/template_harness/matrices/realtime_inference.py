"""Answer matrix of the realtime-inference template: every cloud x every CI system, and
every value of each other choice at least once (model source, service tier, rollout, data
classification), plus one case with overridden SLOs whose latency threshold falls on a
default histogram bucket (le="1.0")."""

from template_harness.cases import COMMON_PATHS, Case

T = "realtime-inference"

# Features of a model from a registry: every supported type, so the request schema, the
# stand-in test model and the generic (DataFrame) prediction path are all exercised.
MIXED_FEATURES = [
    {"name": "amount", "type": "float"},
    {"name": "merchant_country", "type": "str"},
    {"name": "items", "type": "int"},
    {"name": "is_new_customer", "type": "bool"},
]

CASES = [
    Case(T, "realtime-inference-aws-github", {"cloud": "aws", "ci": "github"}),
    Case(
        T,
        "realtime-inference-aws-gitlab",
        {
            "cloud": "aws",
            "ci": "gitlab",
            "data_classification": "pii",
            "model_source": "mlflow",
            "mlflow_model_uri": "models:/fraud@champion",
            "features": MIXED_FEATURES,
            "service_tier": 1,
            "rollout": "blue-green",
        },
    ),
    Case(
        T,
        "realtime-inference-gcp-github",
        {
            "cloud": "gcp",
            "ci": "github",
            "data_classification": "public",
            "service_tier": 3,
            "rollout": "blue-green",
        },
    ),
    Case(
        T,
        "realtime-inference-gcp-gitlab",
        {
            "cloud": "gcp",
            "ci": "gitlab",
            "data_classification": "confidential",
            "model_source": "mlflow",
        },
    ),
    Case(
        T,
        "realtime-inference-aws-github-slo-override",
        {"cloud": "aws", "ci": "github", "slo_availability": 99.0, "slo_latency_p99_ms": 1000},
    ),
]

# Glob patterns every render must contain (the CI files are checked per CI system).
REQUIRED_PATHS = [
    *COMMON_PATHS,
    "Dockerfile",
    ".dockerignore",
    "src/*/app.py",
    "src/*/schemas.py",
    "src/*/model.py",
    "src/*/metrics.py",
    "src/*/logs.py",
    "src/*/config.py",
    "tests/test_api.py",
    "tests/test_contract.py",
    "loadtest/locustfile.py",
    "deploy/k8s/deployment-*.yaml",
    "deploy/k8s/service.yaml",
    "deploy/k8s/hpa.yaml",
    "deploy/k8s/pdb.yaml",
    "deploy/rollout.sh",
    "infra/modules/service/*.tf",
    "infra/envs/dev/*.tf",
    "infra/envs/staging/*.tf",
    "infra/envs/prod/*.tf",
    "monitoring/prometheus/alerts.yml",
    "monitoring/prometheus/alerts.test.yml",
    "monitoring/grafana/dashboard.json",
    "docs/runbook.md",
    "docs/slo.md",
    "docs/production-readiness.md",
    "docs/adr/0001-*.md",
    "docs/model-card.md",
]
