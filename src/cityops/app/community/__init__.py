"""Community registry use cases (居村微平台): ledger and results imports, rounds, progress,
the untested lists and notes, notices. One transaction each; every door calls these."""
