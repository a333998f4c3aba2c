"""The organisation catalog: teams and services declared once, as code, and applied to the
warehouse with a reviewable diff.

``model`` holds what a team and a service are and the rules they keep; ``tomlfile`` reads
``config/catalog.toml`` into a validated :class:`~data.catalog.model.Catalog` with
line-numbered problems; ``apply`` compares it with the warehouse (added, changed, retired,
returned) and writes it through the snapshot writer. Nothing here measures a person: a team
names a group to contact, never an individual.
"""
