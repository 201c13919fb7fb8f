"""Passes (通行码) use cases: apply, check eligibility, sign, scan, revoke, trace."""
