"""Privacy: the access log (who looked at which resident's data, when and from where). Its own Django app
(label "privacy") inside the core, so the log has its own table and migrations."""
