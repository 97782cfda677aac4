"""The sectors the portal serves, defined once.

Each has a module file of its own in ``questionnaires/`` (``<id>.yaml``), a label people read,
and a value the database accepts for an organization's sectors. Adding a sector is a line here,
its YAML file, and a migration that widens the database's list of sectors (its CHECK
constraint): the loader, the forms and the models all read this tuple.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.questionnaire.words import N_


@dataclass(frozen=True)
class Sector:
    id: str
    label: str

    @property
    def module_file(self) -> str:
        return f"{self.id}.yaml"


SECTORS: tuple[Sector, ...] = (
    Sector("hospital", N_("Hospital or clinic")),
    Sector("bank", N_("Bank or credit union")),
    Sector("water", N_("Drinking water or wastewater")),
    Sector("electric", N_("Electric utility")),
)
SECTOR_IDS: tuple[str, ...] = tuple(sector.id for sector in SECTORS)
SECTOR_LABELS: dict[str, str] = {sector.id: sector.label for sector in SECTORS}
