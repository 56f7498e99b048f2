"""Accounts and sessions: two-factor sign-in (django-otp), session timeouts and endings, the password rules
and the sign-in lockout. See SECURITY.md for what each control is for and the test that proves it."""
