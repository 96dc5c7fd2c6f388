"""IRC transport: one `IrcConnection` per configured network.

`settings` holds a network's configuration, `text` makes user text safe for the wire and
`flood` paces outgoing lines. `connection` is one network's presence, composed of `link`
(the socket and reconnects, `outage` for what the log says meanwhile), `auth`
(capabilities, SASL, NickServ, the bot's nick), `isupport` and `roster` (who is where,
logged in as whom), `dispatch` (every line, read by the one parser in `lines`, to its
handlers and the transport's callbacks) and `output` (what the bot says). `transport`
sits on top. Command parsing lives above this package.
"""
