"""One router per capability; the factory in web/app.py includes each."""
