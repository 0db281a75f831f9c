"""English as koki writes it: Django's English formats with 24-hour times (10:00–12:45), as the
event's German audience and its international guests read a European programme."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"
