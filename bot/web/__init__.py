"""The public face: pages anyone can read and link to, served by ``dynamo run`` itself.

server.py runs the aiohttp application and sets the headers every response carries (a
strict Content-Security-Policy, no cookies for readers, no third-party asset); pages.py
reads the movement for the pages; templates/ and static/ are the HTML and the one
stylesheet. editor.py is where members write campaign documents, in a session opened with a
one-time link they asked for privately (auth.py: its cookie and form checks). Nothing on
a page links a pseudonym to an account, a nick or an address.
"""
