"""Everything the portal hands out as a file, built one way: a plain builder makes the body
(``spreadsheet.to_csv``, ``calendar.plan_calendar``, the assessment's JSON in
``assessments.transfer``, the PDFs in ``reports``), then :func:`download.download` — or, for a
PDF that may be queued, :func:`delivery.send_pdf` — answers with it as an attachment."""
