"""What the Comptoir pages of the Airflow UI show, as plain values, one page at a time.

The plugin (`plugins/comptoir_airflow/ui`) only checks who asks and renders; every read
of the dossier or of the data home for a page is here (or in the module that owns the
concept, like `comptoir.automation.messages.page_messages`). Listings are paginated with
a cursor (keyset): a page costs the same whatever the size of what it pages through.
"""
