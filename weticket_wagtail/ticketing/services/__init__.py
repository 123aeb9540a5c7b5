"""Framework-independent services used by the ticketing app."""
