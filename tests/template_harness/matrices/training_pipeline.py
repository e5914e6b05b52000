"""Answer matrix of the training-pipeline template: every cloud x every CI system, every
task, model library and data source, every data classification and service tier, and each
evaluation metric, spread over six cases (each render runs its own end-to-end test suite,
so keep it small)."""

from template_harness.cases import COMMON_PATHS, Case

T = "training-pipeline"

CASES = [
    # The defaults: classification, linear model, demo data, roc_auc, local SQLite store.
    Case(T, "training-pipeline-aws-github", {"cloud": "aws", "ci": "github"}),
    Case(
        T,
        "training-pipeline-aws-gitlab-regression-file",
        {
            "cloud": "aws",
            "ci": "gitlab",
            "data_classification": "pii",
            "service_tier": 1,
            "task": "regression",
            "model_library": "sklearn-gradient-boosting",
            "data_source": "file",
            "data_uri": "data/training.csv",
            "eval_metric": "rmse",
        },
    ),
    Case(
        T,
        "training-pipeline-gcp-github-object-store",
        {
            "cloud": "gcp",
            "ci": "github",
            "data_classification": "public",
            "service_tier": 3,
            "model_library": "sklearn-gradient-boosting",
            "data_source": "object-store",
            "eval_metric": "f1",
            "timestamp_column": "none",
        },
    ),
    Case(
        T,
        "training-pipeline-gcp-gitlab-regression-features",
        {
            "cloud": "gcp",
            "ci": "gitlab",
            "data_classification": "confidential",
            "task": "regression",
            "feature_columns": "age,sex,bmi,bp,s5",
            "target_column": "disease_progression",
            "eval_metric": "mae",
        },
    ),
    Case(
        T,
        "training-pipeline-aws-github-accuracy-file",
        {
            "cloud": "aws",
            "ci": "github",
            "data_source": "file",
            "eval_metric": "accuracy",
            "registered_model_name": "churn.classifier",
            "mlflow_tracking_uri": "sqlite:///.mlflow/registry.db",
        },
    ),
    Case(
        T,
        "training-pipeline-gcp-github-regression-object-store",
        {
            "cloud": "gcp",
            "ci": "github",
            "task": "regression",
            "data_source": "object-store",
            "data_uri": "gs://acme-ml-data/diabetes/training.parquet",
            "eval_metric": "r2",
        },
    ),
]

# Every render contains these (glob patterns relative to the render's root).
REQUIRED_PATHS = [
    *COMMON_PATHS,
    "Dockerfile",
    ".dockerignore",
    "src/*/cli.py",
    "src/*/features.py",
    "src/*/contract.py",
    "src/*/registry.py",
    "src/*/monitor.py",
    "src/*/metrics.py",
    "tests/test_pipeline.py",
    "tests/test_validation.py",
    "tests/test_evaluation.py",
    "monitoring/prometheus/alerts.yml",
    "monitoring/prometheus/alerts.test.yml",
    "monitoring/grafana/dashboard.json",
    "infra/modules/training/main.tf",
    "infra/envs/dev/main.tf",
    "infra/envs/staging/main.tf",
    "infra/envs/prod/main.tf",
    "docs/runbook.md",
    "docs/adr/0001-*.md",
    "docs/data-contract.md",
    "docs/model-card.md",
    "docs/production-readiness.md",
]
