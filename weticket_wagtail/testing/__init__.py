"""Test doubles that agencies can use too. Production code never imports this package."""
