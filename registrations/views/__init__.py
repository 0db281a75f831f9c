"""The public pages of an event (public.py) and the pages behind a personal link (personal.py)."""
