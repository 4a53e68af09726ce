"""Reads of incidents, people and places for the staff screens and the API."""
