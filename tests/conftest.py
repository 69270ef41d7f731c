pytest_plugins = ["mallkit.core.testing"]
