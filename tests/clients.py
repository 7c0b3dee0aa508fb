"""Test clients signed in as someone, each with its own session (two users can act at once)."""

from django.test import Client


def signed_in(user, **defaults) -> Client:
    """`defaults`: headers every request sends, e.g. HTTP_ACCEPT_LANGUAGE="en"."""
    client = Client(**defaults)
    client.force_login(user)
    return client
