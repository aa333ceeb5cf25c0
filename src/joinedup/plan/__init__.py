"""The BCF plan: metric trajectories, schemes and the pooled budget (see loader.py)."""

from joinedup.plan.loader import Plan, Scheme, Trajectory, load_plan

__all__ = ["Plan", "Scheme", "Trajectory", "load_plan"]
