"""AWS Lambda: `instrument_handler` and the collectorless `mode="lambda"` pipelines.

(`lambda` is a keyword, hence `aws_lambda`.) Only the OTel API and the standard library are
imported on this path: cold start is the feature.
"""

from aurastream_obs.aws_lambda.context import ColdStart
from aurastream_obs.aws_lambda.handler import instrument_handler

__all__ = ["ColdStart", "instrument_handler"]
