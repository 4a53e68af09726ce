"""hotspots."""
