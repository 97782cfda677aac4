"""CISA's Known Exploited Vulnerabilities catalog, product families and matches.

Plain Python: no Flask, no SQLAlchemy (the domain core; portal/exposure stores and serves it)."""
