"""Staff web pages of the devices app, one module per part of the domain: stock.py (the stock list, device pages,
adding, editing, status changes), loans.py (lending, the loans, extensions, the policy), returns.py (returns,
losses, gifts, wipes), files.py (import, export, labels); loaders.py fetches what a URL names for staff_view."""
