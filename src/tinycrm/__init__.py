"""tinycrm: a terminal CRM. Importing the package costs nothing beyond this line."""

__version__ = "0.1.0"
