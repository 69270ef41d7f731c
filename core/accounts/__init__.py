"""Accounts: users, access tokens, address book."""
