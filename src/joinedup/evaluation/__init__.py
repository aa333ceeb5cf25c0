"""Scheme evaluation: a matched comparison group and difference-in-differences (issue 12)."""

from joinedup.evaluation.did import Evaluation, evaluate, evaluate_outcomes
from joinedup.evaluation.scheme import evaluate_scheme

__all__ = ["Evaluation", "evaluate", "evaluate_outcomes", "evaluate_scheme"]
