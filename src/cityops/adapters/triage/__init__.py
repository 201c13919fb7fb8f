"""Triage adapters: the statistical models (scikit-learn) and loading of the shipped data files."""
