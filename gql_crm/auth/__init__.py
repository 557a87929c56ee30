"""Passwords, tokens, permission codes and the Principal that carries them."""
