"""The one exception type whose message is shown to the user as it is."""


class UserError(Exception):
    """Something the user can fix (no selection, no model folder, wrong colour
    model...).  The docker shows str(error) and never a traceback."""
