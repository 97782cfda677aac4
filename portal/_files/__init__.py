"""Where an installed wheel carries the portal's files: templates, static, questionnaires,
migrations and data (pyproject.toml maps the checkout's top-level folders here). A checkout or an
editable install reads them where they are; :data:`portal.kev.shipped.ROOT` and
:data:`portal.config.PROJECT_ROOT` find either. Nothing is kept here in the repository."""
