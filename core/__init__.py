"""mallkit core: app factory, database, plugin host, accounts, merchants and the services
every plugin builds on."""

__version__ = "0.1.0"
