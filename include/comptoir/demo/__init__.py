"""The demo data set: a coherent French retail business, deterministic for a seed.

- `dossier.fill_dossier` fills a dossier (settings, tax, stores and registers, suppliers,
  catalogue and stock, customers with valid bank details, a week of POS activity, sales
  documents and open purchase orders) in one transaction.
- `files.write_files` writes import files in the formats of the import contract, at any
  size, optionally with injected mistakes listed in `expected_errors.csv`.

The shared generators (`people`, `products`, `bank`) are vectorised with numpy; the
word lists are in `names`, the fixed reference data in `reference`.
"""
