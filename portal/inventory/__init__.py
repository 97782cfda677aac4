"""What we run: an organization's products, matched to CISA's KEV catalog (operators)."""
