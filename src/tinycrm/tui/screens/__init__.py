"""The app's screens: one module per area, the forms and dialogs in ``forms.py``."""
