"""Workflows: YAML-defined automation that reacts to incident.io events (triggers, steps, runs)."""
