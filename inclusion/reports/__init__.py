"""Monthly impact reports: figures computed in the database for a period and scope, small numbers suppressed
outside the owning organisation, charts, downloads and frozen snapshots. Each app adds its sections through
inclusion/registry.py (register_report_section) from its own `reports.py`; this package imports no app."""
