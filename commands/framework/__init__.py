"""The command framework: declarations (registry.py), the invoker (invoker.py), what a
command receives (context.py) and gives back (reply.py), and the settings and helpers every
feature shares. It imports no feature module."""
