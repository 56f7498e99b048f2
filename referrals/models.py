"""Course and referral models arrive with the referrals work."""
