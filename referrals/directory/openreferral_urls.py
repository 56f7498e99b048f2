"""The directory published as Open Referral UK 3.0 (/openreferral/), open to read without a key."""

urlpatterns: list = []
