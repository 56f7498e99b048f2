"""Gunicorn's settings, read from the working directory whenever gunicorn starts here (Dockerfile, compose).

The access log records the path without its query string and without the Referer: a search for a
resident (/residents/?q=<name>) must not put their name in the logs (SECURITY.md, "No personal data in
logs"). The rest of the command line (bind, workers) stays where it is.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)s'
