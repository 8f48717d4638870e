"""Contacts, companies, interactions and duplicates."""
