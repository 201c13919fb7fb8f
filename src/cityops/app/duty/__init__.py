"""Duty (值班值守) use cases: teams and members, rosters and coverage, who is on duty now,
member assignments with their accept deadline, handover, patrol reports and inspections."""
