"""Knowledge base (口径库): official answers with a validity window, and a Chinese search index.

Pure domain code: entries and their rules (``model``), the BM25 index (``search``), and the
parsing of imported spreadsheet rows (``importer``).  Reading files is in
``cityops.adapters.kb_files``; storing entries is the lead's DB layer.
"""
from cityops.domain.kb.model import KbEntry, Problem, current_versions, history
from cityops.domain.kb.search import Hit, KbIndex

__all__ = ["Hit", "KbEntry", "KbIndex", "Problem", "current_versions", "history"]
