"""Gunicorn's settings, read from the working directory whenever gunicorn starts here (Dockerfile, compose).

The access log records the path without its query string and without the Referer: a search for a
resident (/residents/?q=<name>) must not put their name in the logs (SECURITY.md, "No personal data in
logs"). The rest of the command line (bind, workers) stays where it is.

gunicorn refuses a request line over 4,094 bytes with an HTML page of its own; the application refuses an
address over settings.MAX_URL_LENGTH with a 414 in the API's JSON error format under /api/ (inclusion/
middleware.py), so gunicorn passes every request line on (0: no limit of its own). A reverse proxy in front
keeps its own cap on what it reads (nginx: large_client_header_buffers), and headers stay limited here.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)s'
limit_request_line = 0
