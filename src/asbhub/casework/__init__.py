"""Problem-solving (SARA) cases across agencies: scanning with baseline counts, analysis with
the problem analysis triangle, response with SMART objectives and actions, assessment against
the baseline with a displacement check, reviews at the intervals the risk sets, sharing under
information sharing agreements (issue 18; docs/casework.md)."""
