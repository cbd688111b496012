"""mode="lambda": collectorless AWS Lambda pipelines without the OTel SDK (cold start).

(`lambda` is a keyword, hence `awslambda`.) `build_pipelines` is the mode's entry point.
"""

from aurastream_obs.modes.awslambda.pipeline import LambdaPipelines, build_pipelines

__all__ = ["LambdaPipelines", "build_pipelines"]
