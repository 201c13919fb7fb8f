"""Work orders: states, transitions, deadlines. Pure rules, no I/O, no clock."""
