"""Restorative justice and the Community Remedy (2014 Act ss.101-103): referrals, each party's
consent, the facilitator and method, the action chosen with the victim's view, the outcome and
satisfaction, and re-offending in the 12 months before and after."""
