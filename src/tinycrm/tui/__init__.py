"""The full-screen face of tinycrm (Textual).

Importing this package imports Textual: the command line imports it only inside the commands that open the
app (``crm``, ``crm tui``, ``crm demo``, ``crm serve``). Build the app with :func:`tinycrm.tui.app.make_app`.
"""
