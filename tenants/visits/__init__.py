"""Follow-up visits: staff tasks at day 7 and day 30 after adoption, with a short structured form."""
