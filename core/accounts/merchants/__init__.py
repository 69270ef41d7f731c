"""Merchants: stores, their settings and staff."""
