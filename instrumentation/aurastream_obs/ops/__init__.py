"""Operations tools: KPI/SLO report, trace analysis, health checks, business and cost
analytics. They read Prometheus, CloudWatch, X-Ray or the local OTLP files through the small
interfaces in `ops.backends`; boto3 is imported lazily, only by the AWS implementations."""
