"""The recording audit (issue 20): ASB incidents whose qualifier is probably wrong, their
correction with a trail, and the compliance figures."""
