"""IRC transport: one `IrcConnection` per configured network.

`settings` holds a network's configuration, `text` makes user text safe for the wire,
`flood` paces outgoing lines, and `connection` owns the socket, registration, membership
tracking and reconnects. Command parsing lives above this package.
"""
