"""Services: the ticket work that joins the pure rules (bot/rules) to storage and the Teams edge."""
