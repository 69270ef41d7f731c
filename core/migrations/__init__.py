"""The core's numbered migration scripts (applied by ``mallkit db upgrade``)."""
