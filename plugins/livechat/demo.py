"""Demo data: a conversation between the demo buyer and the store."""
