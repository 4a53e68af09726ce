"""Statutory powers as dated rules: warnings, notices, injunctions, orders, dispersal,
closure, PSPOs and Respect Orders, with deadlines on the legal calendar and their letters."""
