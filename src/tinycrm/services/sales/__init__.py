"""Pipelines, deals, forecasts and reports."""
