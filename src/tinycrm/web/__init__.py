"""The web face of tinycrm (aiohttp): ``crm serve``.

Importing this package imports nothing; :mod:`tinycrm.web.server` builds and runs the server, which today
serves the full-screen app (:mod:`tinycrm.web.tui`, through textual-serve) behind an access token.
"""
