"""Staff web pages for referrals (/referrals/)."""

app_name = "referrals"
urlpatterns: list = []
