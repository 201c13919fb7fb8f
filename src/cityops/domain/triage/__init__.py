"""Triage (智能分拨) domain: rules, tokenisation and the suggestion engine. Pure code."""
from cityops.domain.triage.codes import CRITICAL, NORMAL, SPECIAL_GROUPS, URGENCY_LEVELS, URGENT
from cityops.domain.triage.engine import GroupFlag, TextClassifier, Triage, TriageEngine
from cityops.domain.triage.rules import RuleError, RuleOutcome, RuleSet

__all__ = [
    "CRITICAL", "NORMAL", "URGENT", "SPECIAL_GROUPS", "URGENCY_LEVELS",
    "GroupFlag", "TextClassifier", "Triage", "TriageEngine",
    "RuleError", "RuleOutcome", "RuleSet",
]
