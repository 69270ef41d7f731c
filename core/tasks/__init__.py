"""Durable tasks: the queue (:mod:`.queue`), the worker loop (:mod:`.worker`), recurring jobs
and the staff/admin API (:mod:`.api`)."""
