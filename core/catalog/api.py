"""The catalog's blueprints, mounted by the app factory."""

from mallkit.core.catalog.staff_api import blp as staff_blp
from mallkit.core.catalog.storefront_api import blp as storefront_blp

BLUEPRINTS = (staff_blp, storefront_blp)
