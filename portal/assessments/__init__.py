"""Assessments as the application keeps them: the layer the web pages, the PDFs and the
command line stand on. No Flask here; views call these functions and commit once per request.

- ``reading``: the questionnaire, steps, stored answers and progress of an assessment
- ``state``: one object with an assessment's answers, score and plan, built once per request
- ``lifecycle``: start, submit, and the stored aggregates a submission writes
- ``saving``: answers saved with revision checks, so a stale save never overwrites
- ``comparison``: what changed since the organization's previous submission
- ``transfer``: export to JSON and import into a new draft
- ``pending``: answers posted after a login expired, kept until the person signs in again
- ``errors``: what these refuse, with a message for the person
"""
