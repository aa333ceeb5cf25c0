"""Metrics: the BCF and local metric values, SPC charts and disclosure control."""
