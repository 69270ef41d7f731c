"""Real plugins the tests register and enable; each records what its hooks saw."""
