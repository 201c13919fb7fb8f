"""Duty (值班值守) and field teams (联动队伍): shift patterns as data, roster generation, 7×24
coverage, member areas and positions, assignment suggestion, the member-assignment lifecycle,
inspection checklists. Pure: every function takes ``now`` (or the window) as an argument."""
