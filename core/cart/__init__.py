"""The cart and checkout."""
