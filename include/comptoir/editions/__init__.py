"""The editions: printed documents made from the dossier (spec/retail-tasks.md, category
`Editions`): the daily journal, invoices, the customer balance, stock vouchers and the
sales analysis, as PDF, CSV or PNG. One module per edition, found by the task catalog;
`layout` draws every PDF's frame, `periods` reads the period options, `formats` checks a
definition's format against its file name, `ticket_day` dates a POS ticket.
"""
