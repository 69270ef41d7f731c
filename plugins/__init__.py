"""Built-in mallkit plugins. Each sub-package is declared under the ``mallkit.plugins``
entry-point group in ``pyproject.toml`` and loaded exactly like a third-party plugin."""
