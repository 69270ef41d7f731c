"""Payments core: payment attempts, the channel interface plugins implement, notifications
processed exactly once, and refunds."""
