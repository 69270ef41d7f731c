"""Orders: the state machine, buyer and staff operations, shipments and statistics."""
