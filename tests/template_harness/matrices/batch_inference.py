"""Answer matrix of the batch-inference template: every cloud x every CI system, both
engines and input formats, the demo model and registry URIs (alias and version), local and
object-store locations, daily, hourly and weekly schedules, every data classification and
every service tier, spread over five cases (each render runs its own end-to-end test suite,
so keep it small)."""

from template_harness.cases import COMMON_PATHS, Case

T = "batch-inference"

CASES = [
    # The defaults: parquet, pandas, demo model, local paths, daily at 03:00.
    Case(T, "batch-inference-aws-github", {"cloud": "aws", "ci": "github"}),
    Case(
        T,
        "batch-inference-aws-gitlab-spark-csv",
        {
            "cloud": "aws",
            "ci": "gitlab",
            "data_classification": "pii",
            "service_tier": 1,
            "engine": "spark",
            "input_format": "csv",
            "input_uri": "s3://acme-landing/customers",
            "output_uri": "s3://acme-scores/churn",
            "model_uri": "models:/churn@champion",
            "schedule": "30 * * * *",
        },
    ),
    Case(
        T,
        "batch-inference-gcp-github-csv",
        {
            "cloud": "gcp",
            "ci": "github",
            "data_classification": "public",
            "service_tier": 3,
            "input_format": "csv",
            "partition_key": "event_date",
            "max_rejected_fraction": 0.01,
        },
    ),
    Case(
        T,
        "batch-inference-gcp-gitlab-spark",
        {
            "cloud": "gcp",
            "ci": "gitlab",
            "data_classification": "confidential",
            "engine": "spark",
            "output_uri": "gs://acme-scores/fraud",
            "model_uri": "models:/fraud/3",
            "schedule": "0 6 * * 1",
        },
    ),
    Case(
        T,
        "batch-inference-aws-github-spark-registry",
        {
            "cloud": "aws",
            "ci": "github",
            "engine": "spark",
            "project_name": "nightly-risk-scores",
            "model_uri": "models:/risk.classifier@production",
            "input_uri": "exports/risk",
            "output_uri": "scores/risk",
        },
    ),
]

# The case whose render runs its Spark-marked tests in goldenpath's suite (CI runs it once).
SPARK_CASE = "batch-inference-aws-github-spark-registry"

# Every render contains these (glob patterns relative to the render's root).
REQUIRED_PATHS = [
    *COMMON_PATHS,
    "Dockerfile",
    ".dockerignore",
    "src/*/cli.py",
    "src/*/job.py",
    "src/*/contract.py",
    "src/*/validation.py",
    "src/*/features.py",
    "src/*/scoring.py",
    "src/*/storage.py",
    "src/*/engine_pandas.py",
    "src/*/engine_spark.py",
    "src/*/drift.py",
    "src/*/metrics.py",
    "src/*/demo.py",
    "tests/conftest.py",
    "tests/test_job.py",
    "tests/test_validation.py",
    "tests/test_monitoring.py",
    "tests/test_engines.py",
    "deploy/k8s/cronjob.yaml",
    "deploy/k8s/serviceaccount.yaml",
    "monitoring/prometheus/alerts.yml",
    "monitoring/prometheus/alerts.test.yml",
    "monitoring/grafana/dashboard.json",
    "infra/modules/batch-job/main.tf",
    "infra/modules/batch-job/identity.tf",
    "infra/envs/dev/main.tf",
    "infra/envs/staging/main.tf",
    "infra/envs/prod/main.tf",
    "docs/runbook.md",
    "docs/backfill.md",
    "docs/adr/0001-*.md",
    "docs/data-contract.md",
    "docs/model-card.md",
    "docs/production-readiness.md",
]
