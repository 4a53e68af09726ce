"""The board report: one set of computed figures turned into HTML and PDF."""
