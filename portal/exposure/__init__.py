"""Known-exploited vulnerabilities in what organizations run: the catalog in the database,
inventories, matches, exposure across a jurisdiction (services; the rules are in portal/kev)."""
