"""asbhub."""
