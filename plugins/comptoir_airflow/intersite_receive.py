"""The inter-site reception from an IMAP or POP3 mailbox, for `comptoir intersite receive`.

    python -m comptoir_airflow.intersite_receive SOURCE_JSON [--prices order|catalogue]
        [--acknowledge] [--dry-run]

resolves the source's Airflow connection (`AIRFLOW_CONN_<ID>`, then the metadata
database), reads the mailbox (`comptoir.intersite.remote.receive_source`) into the
dossier of `COMPTOIR_DATABASE_URL`, and prints one line `COMPTOIR-INTERSITE <report as
JSON>`. Exit status: the report's (0, 3 or 1); 2 on a usage error; 4 when Airflow could
not be prepared (see `comptoir_airflow.preparation`). The command prints the summary.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module's documentation)."""
    parser = argparse.ArgumentParser(prog="python -m comptoir_airflow.intersite_receive")
    parser.add_argument("source")
    parser.add_argument("--prices", default="order")
    parser.add_argument("--acknowledge", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from comptoir.backoffice.engine import get_engine
    from comptoir.intersite.remote import RESULT_MARKER, receive_source
    from comptoir.intersite.sources import SourceError, failed, parse_source, source_name
    from comptoir_airflow.exchange.factory import CONNECTOR, mailer_for
    from comptoir_airflow.preparation import prepared

    if not prepared():  # connections may live in the metadata database
        return 4
    try:
        source = parse_source(args.source)
    except SourceError as exc:
        report = failed("(none)", args.dry_run, str(exc))
    else:
        mailer = mailer_for() if args.acknowledge and not args.dry_run else None
        report = receive_source(get_engine(), source, CONNECTOR, prices=args.prices,
                                acknowledge=args.acknowledge, dry_run=args.dry_run,
                                mailer=mailer)
        report.source = report.source or source_name(source)
    print(RESULT_MARKER + json.dumps(report.as_json() | {"warnings": report.warnings},
                                     ensure_ascii=False), flush=True)
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
