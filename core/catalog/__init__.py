"""Catalog and inventory: products with specifications and SKUs, categories, brands,
suppliers, tags, shelf status, the stock service with its ledger and low-stock alerts, buyer
browsing and search, and CSV import/export."""
