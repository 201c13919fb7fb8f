"""Passes (通行码): eligibility rules in CertLogic, pass claims and the checkpoint decision."""
