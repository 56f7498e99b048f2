"""Skills courses, referrals between partners and their outcomes (filled in by the referrals work)."""
