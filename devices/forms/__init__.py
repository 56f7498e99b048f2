"""Staff web forms of the devices app, one module per part of the domain, as the views: stock.py, loans.py,
returns.py. A form checks the shape of what was typed; the services own the rules and name the field a refusal
belongs to (inclusion.web.form_refuse puts it there)."""
