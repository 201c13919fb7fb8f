"""Community registry and testing progress (居村微平台): the resident ledger, test results,
testing rounds and their progress, and notices to residents. Pure rules: no I/O, no clock."""
