"""Reference geography: the force's areas, coordinate transforms and point-in-polygon lookups."""
