"""The Discord transport."""
