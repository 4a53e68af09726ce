"""Triage at first contact: victim risk, THRIVE grade, repeats, ASB Case Review, the decision."""
