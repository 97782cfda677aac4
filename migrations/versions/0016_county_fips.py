"""an organization's county as a FIPS code, for the coordinators' county map (#33): back-filled
from the county name typed at registration where the state's counties have it; left empty
("not on the map") where they do not — never a guessed county

Revision ID: 0016_county_fips
Revises: 0015_second_factors
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from portal.counties import state_counties

revision = "0016_county_fips"
down_revision = "0015_second_factors"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("organizations", sa.Column("county_fips", sa.String(5), nullable=True))
    op.create_index("ix_organizations_county_fips", "organizations", ["county_fips"])
    bind = op.get_bind()
    organizations = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("state", sa.String),
        sa.column("county", sa.String),
        sa.column("county_fips", sa.String),
    )
    found: dict[tuple[str, str], str | None] = {}
    places = bind.execute(sa.select(organizations.c.state, organizations.c.county).distinct())
    for state, county in places:
        counties = state_counties(state)
        match = counties.find(county) if counties else None
        found[(state, county)] = match.fips if match else None
    for (state, county), fips in found.items():
        if fips is not None:
            bind.execute(
                organizations.update()
                .where(organizations.c.state == state, organizations.c.county == county)
                .values(county_fips=fips)
            )


def downgrade():
    op.drop_index("ix_organizations_county_fips", table_name="organizations")
    op.drop_column("organizations", "county_fips")
